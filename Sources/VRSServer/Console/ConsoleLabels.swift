import Foundation
import VRSDomain
import VRSStore

/// The words staff see: roles, states and messages in Japanese, as the national VRS screens call them.
enum ConsoleLabels {
    static func role(_ role: AccountRole) -> String {
        switch role {
        case .operator: "運用者"
        case .admin: "自治体管理者"
        case .staff: "自治体職員"
        case .viewer: "統計閲覧者"
        }
    }

    static func status(_ status: String) -> String {
        switch status {
        case "active": "住民"
        case "moved_out": "転出"
        case "deceased": "死亡"
        default: status
        }
    }

    static func sex(_ sex: String) -> String {
        switch sex {
        case "M": "男"
        case "F": "女"
        default: "不明"
        }
    }

    static func doseState(_ state: String) -> String {
        switch state {
        case "recorded": "登録済"
        case "voided": "取消"
        case "moved": "移管済"
        case "pending": "未紐付け"
        default: state
        }
    }

    static func inquiryStatus(_ status: String) -> String {
        switch status {
        case "found": "記録あり"
        case "no_records": "接種記録なし"
        case "not_found": "該当者なし"
        case "pending", "queued": "受付済"
        case "waiting": "照会待ち"
        case "running": "照会中"
        case "done": "完了"
        case "failed": "失敗"
        default: status
        }
    }

    static func couponStatus(_ status: String) -> String {
        switch status {
        case "active": "有効"
        case "superseded": "再発行により無効"
        case "void": "無効"
        default: status
        }
    }

    /// Where a dose of this municipality came from.
    static func doseSource(_ source: String) -> String {
        switch source {
        case "tablet": "タブレット"
        case "staff": "職員入力"
        case "import": "ファイル取込"
        case "transfer": "照会で取得"
        default: source
        }
    }

    /// The warnings a dose carries, joined for one table cell.
    static func doseFlags(_ flags: [String]) -> String {
        flags.map { flag in
            switch flag {
            case "coupon_superseded": "再発行前の券で接種"
            case "person_moved_out": "転出後の接種"
            case "person_deceased": "死亡登録後の接種"
            case "dose_mismatch": "券の回数と不一致"
            case "interval_short": "接種間隔が短い"
            case "coupon_unknown": "未登録の券番号"
            default: flag
            }
        }.joined(separator: "、")
    }

    static func outcome(_ outcome: String) -> String {
        switch outcome {
        case "success": "成功"
        case "failure": "失敗"
        case "denied": "拒否"
        default: outcome
        }
    }

    /// A role as the API names it (`operator`, `admin`, `staff`; device tokens have none).
    static func role(named name: String) -> String {
        AccountRole(rawValue: name).map(role) ?? (name == "device" ? "タブレット" : name)
    }

    static func provisionKind(_ kind: String) -> String {
        switch kind {
        case "single": "個別照会"
        case "batch": "一括照会"
        default: kind
        }
    }

    /// The menu of each role (`current` marks the page being shown).
    static func navigation(for role: AccountRole) -> [[String: String]] {
        var items: [(String, String)] = []
        switch role {
        case .staff, .admin:
            items = [("/console/", "ホーム"), ("/console/persons", "対象者検索"), ("/console/imports", "対象者取込"),
                     ("/console/pending", "未紐付け接種記録"), ("/console/transfers", "接種記録照会"),
                     ("/console/provision-records", "提供記録"), ("/console/exports", "予防接種台帳向け出力"),
                     ("/console/statistics", "接種統計")]
            if role == .admin {
                items += [("/console/users", "職員アカウント"), ("/console/devices", "タブレット"), ("/console/audit", "監査ログ")]
            }
        case .operator:
            items = [("/console/", "ホーム"), ("/console/municipalities", "自治体"), ("/console/account-requests", "承認待ち"),
                     ("/console/statistics", "接種統計"), ("/console/viewers", "統計閲覧者"), ("/console/audit", "監査ログ")]
        case .viewer:
            items = [("/console/statistics", "接種統計")]
        }
        return items.map { ["href": $0.0, "label": $0.1] }
    }

    /// A field's error in Japanese, by the API's machine-readable code (its English message otherwise).
    static func message(_ error: Problem.FieldError) -> String {
        switch error.code {
        case "required", "empty": return "入力してください。"
        case "length": return "桁数または文字数が正しくありません。"
        case "check_digit": return "チェックデジットが一致しません。入力を確認してください。"
        case "non_digit", "format", "malformed", "type", "separator": return "形式が正しくありません（半角数字などを確認してください）。"
        case "future_date": return "未来の日付は指定できません。"
        case "too_early", "date_out_of_range": return "日付が範囲外です。"
        case "too_long": return "長すぎます。"
        case "not_one_of", "not_allowed", "out_of_range": return "指定できない値です。"
        case "unknown_municipality": return "全国地方公共団体コードにない市区町村です。"
        case "own_municipality": return "自団体には照会できません。"
        case "mismatch": return "現在のパスワードが正しくありません。"
        case "unchanged": return "現在のパスワードと異なるものにしてください。"
        case "contains_user_id": return "ユーザーIDを含めないでください。"
        case "duplicate_in_file": return "ファイル内の別の行と重複しています。"
        case "name_parts": return "姓と名の間に空白を入れてください。"
        case "not_a_tenant": return "この種類の団体は登録できません。"
        case "conflict": return "登録済みの内容と矛盾します。"
        case "encoding": return "文字コードを読み取れません（UTF-8 または Shift_JIS で保存してください）。"
        case "unknown_product": return "登録されていないワクチンです。"
        case "other_municipality": return "自団体以外の市区町村コードです。"
        case "no_doses": return "記録済みの接種がないため、接種証明書を発行できません。"
        case "too_many_doses": return "接種が多く、1 つの QR コードに収まらないため発行できません。"
        default: return "入力内容を確認してください（\(error.message)）。"
        }
    }

    /// A problem with no field in Japanese, by its type.
    static func problem(_ problem: Problem) -> String {
        switch problem.status {
        case 401: return "サインインし直してください。"
        case 403: return "この操作は許可されていません。"
        case 404: return "見つかりませんでした。"
        case 409: return "ほかの操作と競合したか、すでに登録されています。内容を確認してください。"
        case 412, 428: return "ほかの職員がこの記録を更新しました。開き直してから、もう一度操作してください。"
        case 413: return "ファイルが大きすぎます。"
        case 415: return "この形式のファイルは読み込めません（CSV を選んでください）。"
        case 422: return "入力内容に誤りがあります。"
        case 423: return "一時的にロックされています。時間をおいてお試しいただくか、管理者に連絡してください。"
        case 429: return "短時間に操作が多すぎます。しばらく待ってからお試しください。"
        case 503: return "この機能はまだ設定されていません。運用者に連絡してください。"
        default: return "処理できませんでした。時間をおいてもう一度お試しください。"
        }
    }
}
