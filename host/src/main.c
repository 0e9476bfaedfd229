/* SPDX-License-Identifier: Apache-2.0 */
/* authsvc: the server. `authsvc -c FILE`, `--check-config`, `--version`, `--list-plugins`. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include <authsvc/plugin.h>
#include <curl/curl.h>
#include <jansson.h>

#include "app/app.h"
#include "app/serve.h"
#include "config/config.h"
#include "http/server.h"
#include "log/log.h"

/* The build passes the configured prefix's path (CMakeLists.txt). */
#ifndef AUTHSVC_CONFIG_FILE
#define AUTHSVC_CONFIG_FILE "/etc/authsvc/authsvc.conf"
#endif
#define DEFAULT_CONFIG AUTHSVC_CONFIG_FILE

static void usage(FILE *f)
{
	fprintf(f, "usage: authsvc [-c FILE] [--check-config | --list-plugins | --version]\n"
		   "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
		   "  --check-config      validate the configuration and plugins, then exit\n"
		   "  --list-plugins      print each configured plugin's name, version, ABI, file\n"
		   "  --version           print the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'k'},
	    {"list-plugins", no_argument, NULL, 'l'}, {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0}};
	const char *path = DEFAULT_CONFIG;
	bool check = false, list = false;
	struct config cfg;
	struct app app = {0};
	struct server *srv = NULL;
	struct err err = {0};
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'l':
			list = true;
			break;
		case 'V':
			printf("authsvc %s (plugin ABI %u.%u)\n", AUTHSVC_VERSION,
			       AUTHSVC_ABI_MAJOR, AUTHSVC_ABI_MINOR);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (config_load(path, &cfg, &err) < 0) {
		log_error("config invalid detail=%s", LOG_Q(err.msg));
		config_release(&cfg);
		return 1;
	}
	log_set_level((enum log_level)log_level_parse(cfg.log_level));
	if (list) {
		rc = app_list_plugins(&cfg, stdout);
		config_release(&cfg);
		return rc;
	}
	json_object_seed(0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (app_build(&app, &cfg, check, &err) < 0) {
		log_error("startup failed detail=%s", LOG_Q(err.msg));
		goto out;
	}
	if (check) {
		printf("configuration ok: %s\n", path);
		rc = 0;
		goto out;
	}
	srv = server_new(app.cfg, &app.router, &app, &app_server_calls, &err);
	if (srv == NULL) {
		log_error("startup failed detail=\"%s\"", err.msg);
		goto out;
	}
	if (app_start_background(&app, &err) < 0) {
		log_error("startup failed detail=\"%s\"", err.msg);
		server_free(srv);
		goto out;
	}
	rc = server_run(srv);
	app_wait_background(&app);
	if (app_setup_failed(&app))
		rc = 1;
	server_free(srv);
	log_info("stopped");
out:
	app_release(&app);
	curl_global_cleanup();
	config_release(&cfg);
	return rc;
}
