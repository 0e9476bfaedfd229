/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A QR code of a text (the otpauth:// URI) as a PNG data URL
 * ("data:image/png;base64,..."), as upstream's create-qr-code returns it:
 * libqrencode for the symbol, libpng to write it (grey, 4 px per module,
 * a 4-module quiet zone).
 */
#ifndef AUTHSVC_TOTP_QR_H
#define AUTHSVC_TOTP_QR_H

/* malloc'd data URL, or NULL. The picture holds the text (a secret): the
 * working buffers are wiped here; the caller wipes the URL before free. */
char *qr_png_data_url(const char *text);

#endif
