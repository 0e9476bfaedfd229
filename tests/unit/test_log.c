/* SPDX-License-Identifier: Apache-2.0 */
/* log: logfmt quoting of values (log_quote, LOG_Q) and whole lines as
 * log_msg writes them: the message quoted and escaped, a quoted value that
 * itself holds quotes (an error text naming a refused plugin) escaped once,
 * control characters never raw, cut values still closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/log.h"

static void test_bare_values_stay_bare(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(log_quote(buf, sizeof(buf), "127.0.0.1:3000"), "127.0.0.1:3000");
	assert_string_equal(log_quote(buf, sizeof(buf), "/usr/lib/x.so"), "/usr/lib/x.so");
	assert_string_equal(log_quote(buf, sizeof(buf), "caf\xc3\xa9"), "caf\xc3\xa9");
}

static void test_values_that_need_quotes(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(log_quote(buf, sizeof(buf), ""), "\"\"");
	assert_string_equal(log_quote(buf, sizeof(buf), "a b"), "\"a b\"");
	assert_string_equal(log_quote(buf, sizeof(buf), "k=v"), "\"k=v\"");
	assert_string_equal(log_quote(buf, sizeof(buf), "say \"hi\""), "\"say \\\"hi\\\"\"");
	assert_string_equal(log_quote(buf, sizeof(buf), "C:\\dir"), "\"C:\\\\dir\"");
	assert_string_equal(log_quote(buf, sizeof(buf), "l1\nl2\r\tx"), "\"l1\\nl2\\r\\tx\"");
	assert_string_equal(log_quote(buf, sizeof(buf),
				      "bell\x07"
				      "del\x7f"),
			    "\"bell\\u0007del\\u007f\"");
	assert_string_equal(log_quote(buf, sizeof(buf), NULL), "(null)");
}

static void test_nested_quotes_escaped_once(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(
	    log_quote(
		buf, sizeof(buf),
		"plugin refused file=/p/local.so reason=\"file is group- or world-writable\""),
	    "\"plugin refused file=/p/local.so reason=\\\"file is group- or world-writable\\\"\"");
}

static void test_long_values_are_cut_and_closed(void **state)
{
	char buf[16], big[64];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_quote(buf, sizeof(buf), big);
	assert_true(strlen(buf) < sizeof(buf));
	assert_int_equal(buf[0], '"');
	assert_string_equal(buf + strlen(buf) - 4, "...\"");
	/* an escape is never split: a run of quotes cut after a whole \" */
	memset(big, '"', sizeof(big) - 1);
	log_quote(buf, sizeof(buf), big);
	assert_string_equal(buf, "\"\\\"\\\"\\\"\\\"\\\"...\"");
	/* nor a UTF-8 sequence */
	log_quote(buf, sizeof(buf), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 x");
	assert_string_equal(buf, "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\"");
}

/* Run log_vmsg with stderr on a pipe; the line it wrote. */
__attribute__((format(printf, 3, 4))) static void capture(char *out, size_t size, const char *fmt,
							  ...)
{
	int fds[2], saved;
	va_list ap;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, size - 1);
	close(fds[0]);
	assert_true(n > 0);
	out[n] = '\0';
}

static void test_line_is_logfmt(void **state)
{
	char line[4096];
	const char *pairs;

	(void)state;
	capture(line, sizeof(line), "startup failed detail=%s",
		LOG_Q("plugin refused file=/p/x.so reason=\"file is group- or world-writable\""));
	pairs = strstr(line, " level=error ");
	assert_non_null(pairs);
	assert_string_equal(pairs,
			    " level=error msg=\"startup failed\" detail=\"plugin refused "
			    "file=/p/x.so reason=\\\"file is group- or world-writable\\\"\"\n");
}

static void test_message_and_stray_controls_escaped(void **state)
{
	char line[4096];

	(void)state;
	/* words that are not key=value pairs (a plugin's free text) */
	capture(line, sizeof(line), "%s", "say \"no\"\nforged=1");
	assert_non_null(strstr(line, " msg=\"say\" text=\"\\\"no\\\"\\nforged=1\"\n"));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	/* a raw newline after the message: no forged second line or pair */
	capture(line, sizeof(line), "done k=%s", "a\nlevel=error");
	assert_non_null(strstr(line, " msg=\"done\" text=\"k=a\\nlevel=error\"\n"));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	/* a message with quotes and a backslash, then good pairs */
	capture(line, sizeof(line), "%s", "the \"x\" \\ thing a=1 b=\"c d\"");
	assert_non_null(strstr(line, " msg=\"the \\\"x\\\" \\\\ thing\" a=1 b=\"c d\"\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bare_values_stay_bare),
	    cmocka_unit_test(test_values_that_need_quotes),
	    cmocka_unit_test(test_nested_quotes_escaped_once),
	    cmocka_unit_test(test_long_values_are_cut_and_closed),
	    cmocka_unit_test(test_line_is_logfmt),
	    cmocka_unit_test(test_message_and_stray_controls_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
