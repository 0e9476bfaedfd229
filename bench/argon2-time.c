/* SPDX-License-Identifier: Apache-2.0 */
/* argon2-time: time argon2id hashes at a given cost with the same libargon2
 * the server links. Used by bench/run; not part of the server.
 *
 *   argon2-time T_COST M_COST_KIB PARALLELISM ITERATIONS
 *
 * Prints "mean_ms=X min_ms=Y n=N". */
#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: argon2-time T_COST M_COST_KIB PARALLELISM ITERATIONS\n");
		return 2;
	}
	unsigned t = (unsigned)atoi(argv[1]), m = (unsigned)atoi(argv[2]);
	unsigned p = (unsigned)atoi(argv[3]);
	int n = atoi(argv[4]);
	if (n < 1 || n > 1000)
		n = 10;
	const char *pw = "bench-password-1";
	unsigned char salt[16] = "bench-salt-0123";
	char enc[256];
	double total = 0, min = 1e12;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		int rc = argon2id_hash_encoded(t, m, p, pw, strlen(pw), salt, sizeof salt, 32, enc,
					       sizeof enc);
		double dt = now_ms() - t0;
		if (rc != ARGON2_OK) {
			fprintf(stderr, "argon2: %s\n", argon2_error_message(rc));
			return 1;
		}
		total += dt;
		if (dt < min)
			min = dt;
	}
	printf("mean_ms=%.2f min_ms=%.2f n=%d\n", total / n, min, n);
	return 0;
}
