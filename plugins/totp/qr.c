/* SPDX-License-Identifier: Apache-2.0 */
#include "qr.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <png.h>
#include <qrencode.h>

#define SCALE 4
#define QUIET 4

struct buf {
	unsigned char *data;
	size_t len, cap;
	int failed;
};

static void write_cb(png_structp png, png_bytep data, png_size_t n)
{
	struct buf *b = png_get_io_ptr(png);

	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		/* not realloc: the old block (the secret, as a picture) is wiped */
		size_t cap = (b->len + n) * 2;
		unsigned char *p = malloc(cap);

		if (p == NULL) {
			b->failed = 1;
			return;
		}
		if (b->data != NULL) {
			memcpy(p, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

static void flush_cb(png_structp png)
{
	(void)png;
}

/* The symbol as an 8-bit grey PNG in b; 0 or -1. */
static int render(const QRcode *qr, struct buf *b)
{
	int size = (qr->width + 2 * QUIET) * SCALE;
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	unsigned char *row = malloc((size_t)size);
	int rc = -1;

	if (png == NULL || info == NULL || row == NULL)
		goto out;
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_set_write_fn(png, b, write_cb, flush_cb);
	png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < size; y++) {
		int my = y / SCALE - QUIET;

		for (int x = 0; x < size; x++) {
			int mx = x / SCALE - QUIET;
			int dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
				   (qr->data[my * qr->width + mx] & 1);

			row[x] = dark ? 0 : 255;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	rc = b->failed ? -1 : 0;
out:
	png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
	if (row != NULL)
		OPENSSL_cleanse(row, (size_t)size);
	free(row);
	return rc;
}

char *qr_png_data_url(const char *text)
{
	static const char prefix[] = "data:image/png;base64,";
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct buf b = {0};
	char *url = NULL;

	if (qr == NULL)
		return NULL;
	if (render(qr, &b) == 0) {
		url = malloc(sizeof(prefix) + 4 * ((b.len + 2) / 3) + 1);
		if (url != NULL) {
			memcpy(url, prefix, sizeof(prefix) - 1);
			EVP_EncodeBlock((unsigned char *)url + sizeof(prefix) - 1, b.data,
					(int)b.len);
		}
	}
	OPENSSL_cleanse(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.cap);
	free(b.data);
	return url;
}
