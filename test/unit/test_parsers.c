/*
 * test_parsers.c - the boot marker (db_marker_write/read) and the
 * configuration (db_config_parse_file, db_config_set,
 * db_config_apply_cmdline, db_config_state_path): good and bad input.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BOOT_X	"0d6f8a2e-1111-4c3b-9a55-3c1e2f4a5b6c"

static const char *
put_text(const char *name, const char *text)
{
	const char *p = tmp_path(name);

	file_write(p, (const uint8_t *) text, strlen(text), 0644);
	return p;
}

static void
test_marker(void)
{
	db_marker	m = {.slot = DB_SLOT_B, .stable_slot = DB_SLOT_A, .trial = true,
	.seq = 1234567890123ULL, .boot_count = 42, .tries_left = 2, .time = 1764000000};
	db_marker	r;
	db_error	err;
	const char *p = tmp_path("dualboot/booted");
	char		text[1024];

	strcpy(m.boot_id, BOOT_X);
	tap_ok(db_marker_write(p, &m, &err) == DB_OK, "db_marker_write creates its folder and file");
	tap_ok(db_marker_read(p, &r, &err) == DB_OK && r.slot == m.slot &&
		   r.stable_slot == m.stable_slot && r.trial && r.seq == m.seq &&
		   r.boot_count == 42 && r.tries_left == 2 && r.time == m.time &&
		   strcmp(r.boot_id, BOOT_X) == 0, "the marker reads back field by field");
	tap_ok(access(tmp_path("dualboot/booted.new"), F_OK) != 0,
		   "no temporary file is left behind");
	{
		uint8_t		buf[1024];
		size_t		n = file_read(p, buf, sizeof(buf) - 1);

		buf[n] = '\0';
		tap_ok(strstr((char *) buf, "slot=B\n") && strstr((char *) buf, "role=test\n") &&
			   strstr((char *) buf, "trial=1\n") && strstr((char *) buf, "stable=A\n"),
			   "the marker holds slot=, role=, trial=, stable= lines");
	}

	/* good variations */
	snprintf(text, sizeof(text), "# comment\nfuture_key=whatever\nslot=a\nseq=7\nboot_id=%s\n",
			 BOOT_X);
	tap_ok(db_marker_read(put_text("m1", text), &r, &err) == DB_OK && r.slot == DB_SLOT_A &&
		   r.seq == 7 && r.stable_slot == DB_SLOT_NONE && !r.trial,
		   "unknown keys and comments are ignored; missing optional keys keep defaults");

	/* bad markers */
	{
		static const struct
		{
			const char *name;
			const char *text;
		}			bad[] = {
			{"empty file", ""},
			{"no slot line", "seq=1\nboot_id=" BOOT_X "\n"},
			{"slot C", "slot=C\nseq=1\nboot_id=" BOOT_X "\n"},
			{"slot AB", "slot=AB\nseq=1\nboot_id=" BOOT_X "\n"},
			{"no seq", "slot=A\nboot_id=" BOOT_X "\n"},
			{"seq not a number", "slot=A\nseq=12x\nboot_id=" BOOT_X "\n"},
			{"negative seq", "slot=A\nseq=-1\nboot_id=" BOOT_X "\n"},
			{"seq overflowing 64 bits", "slot=A\nseq=18446744073709551616\nboot_id=" BOOT_X "\n"},
			{"no boot_id", "slot=A\nseq=1\n"},
			{"empty boot_id", "slot=A\nseq=1\nboot_id=\n"},
			{"uppercase boot_id", "slot=A\nseq=1\nboot_id=0D6F8A2E\n"},
			{"boot_id with shell characters", "slot=A\nseq=1\nboot_id=$(reboot)\n"},
			{"spaces around =", "slot = A\nseq = 1\nboot_id = " BOOT_X "\n"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			tap_is_int(db_marker_read(put_text("mbad", bad[i].text), &r, &err), DB_ERR_INVALID,
					   "marker with %s is invalid", bad[i].name);
	}
	{
		char		withnul[] = "slot=A\nseq=1\0\nboot_id=" BOOT_X "\n";
		const char *pn = tmp_path("mnul");

		file_write(pn, (const uint8_t *) withnul, sizeof(withnul) - 1, 0644);
		tap_is_int(db_marker_read(pn, &r, &err), DB_ERR_INVALID, "marker with a NUL byte is invalid");
	}
	{
		const char *ignored = "slot=A\nseq=1\nboot_id=" BOOT_X "\ntries_left=9\nstable=Z\n";

		tap_ok(db_marker_read(put_text("mign", ignored), &r, &err) == DB_OK &&
			   r.tries_left == 0 && r.stable_slot == DB_SLOT_NONE,
			   "out-of-range optional values (tries_left=9, stable=Z) are ignored");
	}
	tap_ok(db_marker_read(tmp_dir(), &r, &err) < 0, "a marker path that is a directory is refused");
	{
		/* 2047 bytes of comment, then the lines: never read cut short */
		static char big[2200];
		size_t		pad = 2047 - strlen("slot=A\nboot_id=" BOOT_X "\nseq=12");

		memset(big, '#', pad);
		big[pad - 1] = '\n';
		strcpy(big + pad, "slot=A\nboot_id=" BOOT_X "\nseq=123\n");
		tap_is_int(db_marker_read(put_text("mbig", big), &r, &err), DB_ERR_INVALID,
				   "a marker over 2047 bytes is refused (seq=123 would read as seq=12)");
	}
	tap_is_int(db_marker_read(tmp_path("no-marker"), &r, &err), DB_ERR_NOT_FOUND,
			   "a missing marker -> DB_ERR_NOT_FOUND");
	if (symlink(p, tmp_path("mlink")) == 0)
		tap_is_int(db_marker_read(tmp_path("mlink"), &r, &err), DB_ERR_BAD_FILE,
				   "a marker that is a symlink is refused");
}

static const char *good_conf =
"# dualboot configuration\n"
"\n"
"state_device = PARTLABEL=dualboot-state\n"
"\tstate_file=/dualboot/state   \n"
"state_mount=/var/lib/dualboot\n"
"slot_a=PARTLABEL=root-a\r\n"
"slot_b=/dev/disk/by-partuuid/1234-abcd\n"
"default=B\n"
"timeout=0\n"
"efi_a=0003\n"
"efi_b=000A\n"
"   # an indented comment\n";

static void
test_config_file(void)
{
	db_config	c;
	db_error	err;
	char		path[DB_CONF_VALUE_SIZE];

	db_config_defaults(&c);
	tap_ok(c.default_slot == DB_SLOT_A && c.timeout == 10 &&
		   strcmp(c.state_mount, "/var/lib/dualboot") == 0 && c.state_device[0] == '\0',
		   "defaults: default=A, timeout=10, state_mount=/var/lib/dualboot");
	tap_ok(db_config_parse_file(&c, put_text("good.conf", good_conf), &err) == DB_OK &&
		   strcmp(c.state_device, "PARTLABEL=dualboot-state") == 0 &&
		   strcmp(c.state_file, "/dualboot/state") == 0 &&
		   strcmp(c.slot_dev[0], "PARTLABEL=root-a") == 0 &&
		   strcmp(c.slot_dev[1], "/dev/disk/by-partuuid/1234-abcd") == 0 &&
		   c.default_slot == DB_SLOT_B && c.timeout == 0 &&
		   strcmp(c.efi_entry[0], "0003") == 0 && strcmp(c.efi_entry[1], "000A") == 0,
		   "a full configuration parses (spaces, tabs, CRLF, comments)");
	tap_ok(db_config_state_path(&c, path, sizeof(path), &err) == DB_OK &&
		   strcmp(path, "/var/lib/dualboot/dualboot/state") == 0,
		   "state path = state_mount + state_file");

	{
		static const struct
		{
			const char *name;
			const char *text;
			const char *in_msg;
		}			bad[] = {
			{"an unknown key", "default=A\nslot_c=/dev/sdc1\n", "slot_c"},
			{"a misspelt key", "Default=A\n", "Default"},
			{"default=C", "default=C\n", "C"},
			{"default=AB", "default=AB\n", "AB"},
			{"default empty", "default=\n", "default"},
			{"a semicolon", "slot_a=/dev/sda1;reboot\n", "slot_a"},
			{"a command substitution", "slot_b=/dev/$(reboot)\n", "slot_b"},
			{"a backquote", "state_device=/dev/`id`\n", "state_device"},
			{"a space inside the value", "slot_a=/dev/sda 1\n", "slot_a"},
			{"a quote", "slot_a=\"/dev/sda1\"\n", "slot_a"},
			{"a pipe", "state_file=/a|b\n", "state_file"},
			{"a glob", "slot_a=/dev/sd*\n", "slot_a"},
			{"not a device", "slot_a=sda1\n", "slot_a"},
			{"LABEL= with a slash", "slot_a=LABEL=a/b\n", "slot_a"},
			{"empty LABEL=", "slot_a=LABEL=\n", "slot_a"},
			{"a relative state_file", "state_file=dualboot/state\n", "state_file"},
			{"state_file with ..", "state_file=/a/../etc/shadow\n", "state_file"},
			{"state_mount ending in ..", "state_mount=/mnt/..\n", "state_mount"},
			{"timeout 601", "timeout=601\n", "timeout"},
			{"timeout -1", "timeout=-1\n", "timeout"},
			{"timeout abc", "timeout=abc\n", "timeout"},
			{"timeout 10s", "timeout=10s\n", "timeout"},
			{"efi_a of 3 digits", "efi_a=003\n", "efi_a"},
			{"efi_b not hex", "efi_b=00G1\n", "efi_b"},
			{"a line without =", "default=A\njust words\n", "key=value"},
			{"stable_hint_file with ..", "stable_hint_file=/../x\n", "stable_hint_file"},
			{"stable_hint_mount ending in ..", "stable_hint_mount=/..\n", "stable_hint_mount"},
			{"stable_hint not a device", "stable_hint=esp\n", "stable_hint"},
			{"a value of 256 bytes", NULL, "too long"},
			{"a line of 1100 bytes", NULL, "too long"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			char		text[1400];
			const char *p;
			int			rc;
			char		want_line[16];

			if (bad[i].text)
				snprintf(text, sizeof(text), "%s", bad[i].text);
			else if (i == sizeof(bad) / sizeof(bad[0]) - 2)
			{
				strcpy(text, "state_file=/");
				memset(text + 12, 'v', 255);
				strcpy(text + 267, "\n");
			}
			else
			{
				strcpy(text, "# ");
				memset(text + 2, 'x', 1098);
				strcpy(text + 1100, "\n");
			}
			db_config_defaults(&c);
			p = put_text("bad.conf", text);
			memset(&err, 0, sizeof(err));
			rc = db_config_parse_file(&c, p, &err);
			/* the error names the file and the line */
			snprintf(want_line, sizeof(want_line), ":%d: ",
					 strchr(text, '\n') && strchr(text, '\n')[1] && (i == 0 || i == 24) ? 2 : 1);
			tap_ok(rc == DB_ERR_ARG && strstr(err.message, p) != NULL &&
				   strstr(err.message, want_line) != NULL &&
				   strstr(err.message, bad[i].in_msg) != NULL,
				   "configuration with %s is refused, naming file, line and problem", bad[i].name);
			if (rc != DB_ERR_ARG || strstr(err.message, bad[i].in_msg) == NULL ||
				strstr(err.message, want_line) == NULL)
				tap_diag("  rc %d: %s", rc, err.message);
		}
	}
	{
		char		text[300];

		strcpy(text, "state_file=/");
		memset(text + 12, 'v', 254);
		strcpy(text + 266, "\n");
		db_config_defaults(&c);
		tap_ok(db_config_parse_file(&c, put_text("max.conf", text), &err) == DB_OK &&
			   strlen(c.state_file) == 255, "a value of 255 bytes is accepted");
	}
	db_config_defaults(&c);
	tap_is_int(db_config_parse_file(&c, tmp_path("no.conf"), &err), DB_ERR_NOT_FOUND,
			   "a missing configuration file -> DB_ERR_NOT_FOUND");
	if (symlink(tmp_path("good.conf"), tmp_path("link.conf")) == 0)
		tap_ok(db_config_parse_file(&c, tmp_path("link.conf"), &err) != DB_OK &&
			   strstr(err.message, "symbolic link") != NULL,
			   "a configuration that is a symlink is refused");
	tap_ok(db_config_parse_file(&c, tmp_dir(), &err) == DB_ERR_IO &&
		   strstr(err.message, tmp_dir()) != NULL,
		   "a configuration path that is a directory is an error, not an empty file");
	tap_ok(db_config_parse_file(&c, put_text("empty.conf", ""), &err) == DB_OK &&
		   c.default_slot == DB_SLOT_A, "an empty configuration keeps the defaults");

	/* state path for a raw device */
	db_config_defaults(&c);
	tap_is_int(db_config_state_path(&c, path, sizeof(path), &err), DB_ERR_ARG,
			   "no state_device nor state_file: no state path");
	db_config_set(&c, "state_device", tmp_path("good.conf"), &err);
	tap_ok(db_config_state_path(&c, path, sizeof(path), &err) == DB_OK &&
		   strcmp(path, tmp_path("good.conf")) == 0,
		   "a raw state_device path that exists is the state path");
	db_config_set(&c, "state_device", "LABEL=no-such-label-dualboot-unit", &err);
	tap_is_int(db_config_state_path(&c, path, sizeof(path), &err), DB_ERR_NOT_FOUND,
			   "an unresolvable LABEL= -> DB_ERR_NOT_FOUND");
}

static void
test_cmdline(void)
{
	db_config	c;
	db_error	err;
	int			rc;

	db_config_defaults(&c);
	rc = db_config_apply_cmdline(&c, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet "
								 "dualboot.default=B dualboot.timeout=3 "
								 "dualboot.slot_a=PARTLABEL=ra\n", &err);
	tap_ok(rc == DB_OK && c.default_slot == DB_SLOT_B && c.timeout == 3 &&
		   strcmp(c.slot_dev[0], "PARTLABEL=ra") == 0,
		   "cmdline overrides apply; other words are ignored");

	db_config_defaults(&c);
	rc = db_config_apply_cmdline(&c, "quiet dualboot.default=B dualboot.slot_a=/dev/$(reboot) "
								 "dualboot.timeout=5 dualboot.nosuchkey=1 dualboot.slot_b=/dev/vdb2",
								 &err);
	tap_ok(rc == DB_ERR_ARG && c.default_slot == DB_SLOT_B && c.timeout == 5 &&
		   c.slot_dev[0][0] == '\0' && strcmp(c.slot_dev[1], "/dev/vdb2") == 0,
		   "one bad word (shell characters) and an unknown key: the others still apply");
	tap_ok(strstr(err.message, "slot_a") != NULL, "the error names the first bad override");

	db_config_defaults(&c);
	rc = db_config_apply_cmdline(&c, "dualboot.default=C dualboot.timeout=2", &err);
	tap_ok(rc == DB_ERR_ARG && c.default_slot == DB_SLOT_A && c.timeout == 2,
		   "a bad slot letter on the cmdline keeps the configured default");

	db_config_defaults(&c);
	rc = db_config_apply_cmdline(&c, "dualboot dualboot. dualboot.=x xdualboot.default=B "
								 "dualboot.default", &err);
	tap_ok(c.default_slot == DB_SLOT_A && rc == DB_ERR_ARG,
		   "malformed words change nothing (an empty key is reported)");
	db_config_defaults(&c);
	tap_ok(db_config_apply_cmdline(&c, "", &err) == DB_OK && c.default_slot == DB_SLOT_A,
		   "an empty cmdline changes nothing");
	{
		char		cmd[1200];

		snprintf(cmd, sizeof(cmd), "dualboot.state_file=/%0300d dualboot.default=B", 0);
		db_config_defaults(&c);
		rc = db_config_apply_cmdline(&c, cmd, &err);
		tap_ok(rc == DB_ERR_ARG && c.state_file[0] == '\0' && c.default_slot == DB_SLOT_B,
			   "a cmdline value over 255 bytes is refused, the rest applies");
	}
	{
		/* a command line longer than the parser's 4095 bytes, cut inside a value */
		static char cmd[5000];

		strcpy(cmd, "dualboot.default=B ");
		memset(cmd + strlen(cmd), 'x', 4070 - strlen(cmd));
		cmd[4070] = '\0';
		strcat(cmd, " dualboot.slot_b=/dev/sda12");
		db_config_defaults(&c);
		rc = db_config_apply_cmdline(&c, cmd, &err);
		tap_ok(rc == DB_ERR_ARG && c.slot_dev[1][0] == '\0' && c.default_slot == DB_SLOT_B &&
			   strstr(err.message, "4095") != NULL,
			   "an over-long cmdline: the override cut at byte 4095 is not applied "
			   "(never /dev/sda for /dev/sda12), earlier ones are");
	}
}

void
test_parsers(void)
{
	test_marker();
	test_config_file();
	test_cmdline();
}
