// libqrencode (Debian: libqrencode-dev), the QR Code encoder of the console's tablet tokens and of
// the certificates' QR codes.
#include <qrencode.h>
