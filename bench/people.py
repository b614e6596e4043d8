#!/usr/bin/env python3
"""bench/people.py — synthetic registration files (POST /v1/persons/import) for the benchmarks.

    people.py csv N [--start S] [--municipality 121002] > file.csv
        A header and N data lines (rows S … S+N-1), LF-terminated, UTF-8, English column names:
        municipality_code,address_number,individual_number,coupon_number,coupon_kind,name,name_kana,birth_date,sex
    people.py tsv N [--start S] [--municipality 121002] > file.tsv
        The same rows (no header), tab-separated, for psql \\copy into a plain table.
    people.py coupon I
        The coupon number of row I (what the tablet bench puts into coupon codes).

Row i is a pure function of i, so any range of rows can be regenerated and every value is unique
for i < 9·10^9:
    address_number     15 digits, (i × 982451653 + 7) mod 10^15 (a bijection: the multiplier is prime to 10)
    individual_number  base = (i × 61803398873 + 12345) mod 10^11, then the check digit of domain.md §2
                       (weights 6,5,4,3,2,7,6,5,4,3,2; r = Σ mod 11; 0 if r ≤ 1 else 11 − r)
    coupon_number      COUPON_BASE + (i × COUPON_MULTIPLIER) mod 9·10^9: always 10 digits, no padding
                       (the multiplier is prime to 9·10^9; bench/tablet computes the same in Lua and pgbench,
                       exact while i × COUPON_MULTIPLIER < 2^53, i.e. i < 3.39 million)
    coupon_kind        1
    name, name_kana    "姓 名" and "セイ メイ" (full-width katakana) from small lists of common names
    birth_date         YYYYMMDD between 1930-01-01 and 2020-12-31
    sex                1 or 2, every 97th row 9
No real person's number: a valid check digit is all these numbers have.
"""
import argparse
import datetime
import random
import sys

COUPON_BASE = 1_000_000_000
COUPON_SPAN = 9_000_000_000
COUPON_MULTIPLIER = 2_654_435_761
WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

FAMILY = [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
          ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
          ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
          ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ")]
GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("翔太", "ショウタ"), ("陽菜", "ヒナ"), ("大輔", "ダイスケ"),
         ("美咲", "ミサキ"), ("健一", "ケンイチ"), ("由美子", "ユミコ"), ("蓮", "レン"), ("結衣", "ユイ"),
         ("誠", "マコト"), ("恵子", "ケイコ"), ("拓也", "タクヤ"), ("さくら", "サクラ"), ("浩二", "コウジ"),
         ("直子", "ナオコ"), ("悠真", "ユウマ"), ("愛", "アイ"), ("和夫", "カズオ"), ("幸子", "サチコ")]
FIRST_DAY = datetime.date(1930, 1, 1).toordinal()
DAYS = datetime.date(2020, 12, 31).toordinal() - FIRST_DAY + 1


def individual_number(i: int) -> str:
    base = (i * 61_803_398_873 + 12_345) % 100_000_000_000
    digits = f"{base:011d}"
    r = sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11
    return digits + str(0 if r <= 1 else 11 - r)


def coupon_number(i: int) -> str:
    return str(COUPON_BASE + (i * COUPON_MULTIPLIER) % COUPON_SPAN)


def rows(n: int, start: int, municipality: str):
    rng = random.Random(start)
    for i in range(start, start + n):
        family, family_kana = FAMILY[rng.randrange(len(FAMILY))]
        given, given_kana = GIVEN[rng.randrange(len(GIVEN))]
        birth = datetime.date.fromordinal(FIRST_DAY + rng.randrange(DAYS)).strftime("%Y%m%d")
        sex = "9" if i % 97 == 96 else ("1" if rng.random() < 0.5 else "2")
        yield (municipality, f"{(i * 982_451_653 + 7) % 10**15:015d}", individual_number(i), coupon_number(i), "1",
               f"{family} {given}", f"{family_kana} {given_kana}", birth, sex)


HEADER = "municipality_code,address_number,individual_number,coupon_number,coupon_kind,name,name_kana,birth_date,sex"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("csv", "tsv"):
        p = sub.add_parser(name)
        p.add_argument("n", type=int)
        p.add_argument("--start", type=int, default=0)
        p.add_argument("--municipality", default="121002")
    p = sub.add_parser("coupon")
    p.add_argument("i", type=int)
    args = parser.parse_args()
    if args.command == "coupon":
        print(coupon_number(args.i))
        return
    if args.start < 0 or args.n < 1 or args.start + args.n > COUPON_SPAN:
        parser.error("rows must lie in 0 … 9·10^9")
    out = sys.stdout
    separator = "," if args.command == "csv" else "\t"
    if args.command == "csv":
        out.write(HEADER + "\n")
    batch = []
    for row in rows(args.n, args.start, args.municipality):
        batch.append(separator.join(row))
        if len(batch) == 10_000:
            out.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")


if __name__ == "__main__":
    main()
