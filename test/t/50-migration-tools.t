#!/bin/bash
# test/t/50-migration-tools.t - the guard recipes of docs/migration-tools.md,
# run with the real tools against a real server (issue 16 item 3).
#
# For each tool, on a simulated machine (a record and `dualbootctl
# boot-select`, as test/t/20-regress.t does):
#   1. on the stable slot the deploy is refused and nothing of the
#      migration is applied;
#   2. the tool's own bookkeeping after that refused run lets the next real
#      deploy work (it is run next, on the test slot);
#   3. on the test slot the deploy runs;
#   4. a failing migration that changed boot intent leaves the record
#      unchanged (byte for byte).
# A tool that is not installed is skipped with the reason (tools/deps.sh
# installs the Debian ones; the npm ones go to build/npm when npm can fetch
# them).
#
# TAP; the plan is printed at the end.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
diag() { sed 's/^/# /' "$@" >&2; }
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
	exit $?
}
PY=/usr/bin/python3

# --- inside the throw-away cluster ---
if [ "${1:-}" = --inside ]; then
	n=$2
	diag() { sed 's/^/# /' "$@"; }
	W=$DUALBOOT_WORK
	ctl() { "$DUALBOOTCTL" --config "$DUALBOOT_CONF" --state "$DUALBOOT_STATE" --marker "$DUALBOOT_MARKER" "$@"; }
	# the simulated machine: stable A, or a trial boot of the test slot B
	on_stable() { ctl init --stable A --force >/dev/null 2>&1 && ctl boot-select >/dev/null 2>&1; }
	on_test() { on_stable && ctl mark-test --tries 3 >/dev/null 2>&1 && ctl boot-select >/dev/null 2>&1; }
	q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
	newdb() {
		createdb "$1" && q "$1" "SET client_min_messages = warning; CREATE EXTENSION dualboot" >/dev/null
	}
	# tables DB NAME...: how many of them exist
	tables() {
		local db=$1 list
		shift
		list=$(printf "'%s'," "$@")
		q "$db" "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname IN (${list%,})"
	}
	save_record() { cp "$DUALBOOT_STATE" "$W/record.before"; }
	record_unchanged() { cmp -s "$DUALBOOT_STATE" "$W/record.before"; }
	# result NAME COND LOG: one test point, the log as diagnostics on failure
	result() {
		if [ "$2" = 0 ]; then ok "$1"; else
			nok "$1"
			[ -n "${3:-}" ] && [ -f "$3" ] && diag "$3"
		fi
	}
	t() { "$@" >/dev/null 2>&1; echo $?; }

	# ---------------------------------------------------------------------
	# psql: the guard first, outside any BEGIN (docs/migration-tools.md)
	newdb t_psql
	cat >"$W/psql-001.sql" <<-'EOF'
	SELECT dualboot_require_test();
	BEGIN;
	CREATE TABLE accounts (id int PRIMARY KEY);
	CREATE TABLE ledger (id int PRIMARY KEY);
	COMMIT;
	EOF
	cat >"$W/psql-002.sql" <<-'EOF'
	SELECT dualboot_require_test();
	BEGIN;
	SELECT dualboot_request_failback('migration 002');
	CREATE TABLE half_done (id int);
	SELECT 1 / 0;
	COMMIT;
	EOF
	on_stable
	for mode in plain -1 ON_ERROR_STOP; do
		case $mode in
		plain) args=() ;;
		-1) args=(-1) ;;
		ON_ERROR_STOP) args=(-v ON_ERROR_STOP=1) ;;
		esac
		psql -X -d t_psql "${args[@]}" -f "$W/psql-001.sql" >"$W/psql.log" 2>&1
		rc=$?
		result "psql ($mode) on stable: refused (exit $rc), nothing applied" \
			"$(t eval '[ "$(tables t_psql accounts ledger)" = 0 ] && grep -q "stable slot A" "$W/psql.log"')" "$W/psql.log"
	done
	on_test
	psql -X -d t_psql -v ON_ERROR_STOP=1 -f "$W/psql-001.sql" >"$W/psql.log" 2>&1
	result "psql on test: applied" "$(t test "$(tables t_psql accounts ledger)" = 2)" "$W/psql.log"
	save_record
	psql -X -d t_psql -v ON_ERROR_STOP=1 -f "$W/psql-002.sql" >"$W/psql.log" 2>&1
	rc=$?
	result "psql on test: a failing migration that asked for failback (exit $rc) leaves the record unchanged and no table" \
		"$(t eval 'record_unchanged && [ "$(tables t_psql half_done)" = 0 ] && [ "$rc" != 0 ]')" "$W/psql.log"

	# ---------------------------------------------------------------------
	# Alembic: the guard once in env.py (inside the migration transaction),
	# and as the first statement of each migration
	if $PY -c 'import alembic, sqlalchemy, psycopg2' 2>/dev/null; then
		A=$W/alembic
		mkdir -p "$A/versions"
		newdb t_alembic
		cat >"$A/alembic.ini" <<-EOF
		[alembic]
		script_location = $A
		sqlalchemy.url = postgresql+psycopg2:///t_alembic
		EOF
		cat >"$A/env.py" <<-'EOF'
		from alembic import context
		from sqlalchemy import engine_from_config, pool, text

		config = context.config
		engine = engine_from_config(config.get_section(config.config_ini_section),
		                            prefix="sqlalchemy.", poolclass=pool.NullPool)
		with engine.connect() as connection:
		    context.configure(connection=connection, target_metadata=None)
		    with context.begin_transaction():
		        # dualboot: refuse the whole run unless this is the test slot
		        connection.execute(text("SELECT dualboot_require_test()"))
		        context.run_migrations()
		EOF
		cat >"$A/versions/a001_accounts.py" <<-'EOF'
		from alembic import op
		import sqlalchemy as sa
		revision = "a001"
		down_revision = None
		def upgrade():
		    op.execute("SELECT dualboot_require_test()")
		    op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True))
		def downgrade():
		    op.drop_table("accounts")
		EOF
		cat >"$A/versions/a002_broken.py" <<-'EOF'
		from alembic import op
		import sqlalchemy as sa
		revision = "a002"
		down_revision = "a001"
		def upgrade():
		    op.execute("SELECT dualboot_require_test()")
		    op.execute("SELECT dualboot_request_failback('alembic a002')")
		    op.create_table("half_done", sa.Column("id", sa.Integer))
		    op.execute("SELECT 1 / 0")
		def downgrade():
		    pass
		EOF
		alembic() { (cd "$A" && $PY -m alembic.config -c "$A/alembic.ini" "$@"); }
		on_stable
		alembic upgrade a001 >"$W/alembic.log" 2>&1
		rc=$?
		result "alembic upgrade on stable: refused (exit $rc), no table, no alembic_version" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_alembic accounts alembic_version)" = 0 ]')" "$W/alembic.log"
		grep -q "this server runs on the stable slot A" "$W/alembic.log" &&
			grep -q 'connection.execute(text("SELECT dualboot_require_test()"))' "$W/alembic.log"
		result "alembic: the guard in env.py refused, naming the stable slot, before any migration ran" "$?" "$W/alembic.log"
		on_test
		alembic upgrade a001 >"$W/alembic.log" 2>&1
		result "alembic upgrade on test after the refused run: applied, version a001" \
			"$(t eval '[ "$(q t_alembic "SELECT version_num FROM alembic_version")" = a001 ] && [ "$(tables t_alembic accounts)" = 1 ]')" "$W/alembic.log"
		save_record
		alembic upgrade head >"$W/alembic.log" 2>&1
		rc=$?
		result "alembic: a failing migration that asked for failback (exit $rc) leaves the record unchanged, version a001" \
			"$(t eval 'record_unchanged && [ $rc != 0 ] && [ "$(q t_alembic "SELECT version_num FROM alembic_version")" = a001 ] && [ "$(tables t_alembic half_done)" = 0 ]')" "$W/alembic.log"
	else
		skip "Alembic: python3-alembic (with SQLAlchemy and psycopg2) is not installed"
	fi

	# ---------------------------------------------------------------------
	# Django: a pre_migrate receiver (once per migrate), and RunSQL as the
	# first operation of each migration
	if $PY -c 'import django, psycopg2' 2>/dev/null; then
		D=$W/django
		mkdir -p "$D/notes/migrations"
		newdb t_django
		cat >"$D/settings.py" <<-'EOF'
		SECRET_KEY = "test"
		INSTALLED_APPS = ["notes.apps.NotesConfig"]
		DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "t_django"}}
		USE_TZ = True
		EOF
		: >"$D/notes/__init__.py"
		: >"$D/notes/migrations/__init__.py"
		# (pre_migrate is sent to the apps that have a models module)
		cat >"$D/notes/models.py" <<-'EOF'
		from django.db import models


		class Note(models.Model):
		    body = models.TextField()
		EOF
		cat >"$D/notes/apps.py" <<-'EOF'
		from django.apps import AppConfig
		from django.db import connections, transaction
		from django.db.models.signals import pre_migrate


		def require_test_slot(sender, using, **kwargs):
		    # dualboot: before any migration (and before django_migrations exists).
		    # In a transaction, so the refusal is an error with its message (in
		    # autocommit it ends the session, and psycopg2 then reports only
		    # "server closed the connection unexpectedly").
		    with transaction.atomic(using=using), connections[using].cursor() as cur:
		        cur.execute("SELECT dualboot_require_test()")


		class NotesConfig(AppConfig):
		    name = "notes"

		    def ready(self):
		        pre_migrate.connect(require_test_slot, sender=self)
		EOF
		cat >"$D/notes/migrations/0001_initial.py" <<-'EOF'
		from django.db import migrations, models


		class Migration(migrations.Migration):
		    initial = True
		    dependencies = []
		    operations = [
		        migrations.RunSQL("SELECT dualboot_require_test()", migrations.RunSQL.noop),
		        migrations.CreateModel("Note", [("id", models.AutoField(primary_key=True)),
		                                        ("body", models.TextField())]),
		    ]
		EOF
		cat >"$D/notes/migrations/0002_broken.py" <<-'EOF'
		from django.db import migrations


		class Migration(migrations.Migration):
		    dependencies = [("notes", "0001_initial")]
		    operations = [
		        migrations.RunSQL("SELECT dualboot_require_test()", migrations.RunSQL.noop),
		        migrations.RunSQL("SELECT dualboot_request_failback('django 0002')"),
		        migrations.RunSQL("CREATE TABLE half_done (id int)"),
		        migrations.RunSQL("SELECT 1 / 0"),
		    ]
		EOF
		dj() { (cd "$D" && DJANGO_SETTINGS_MODULE=settings $PY -m django "$@"); }
		on_stable
		dj migrate notes 0001 >"$W/django.log" 2>&1
		rc=$?
		result "django migrate on stable: refused by pre_migrate (exit $rc), no table, no django_migrations" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_django notes_note django_migrations)" = 0 ] && grep -q "stable slot A" "$W/django.log"')" "$W/django.log"
		on_test
		dj migrate notes 0001 >"$W/django.log" 2>&1
		result "django migrate on test after the refused run: applied and recorded" \
			"$(t eval '[ "$(tables t_django notes_note)" = 1 ] && [ "$(q t_django "SELECT count(*) FROM django_migrations WHERE app = '"'notes'"'")" = 1 ]')" "$W/django.log"
		save_record
		dj migrate notes >"$W/django.log" 2>&1
		rc=$?
		result "django: a failing migration that asked for failback (exit $rc) leaves the record unchanged, 0002 not recorded" \
			"$(t eval 'record_unchanged && [ $rc != 0 ] && [ "$(tables t_django half_done)" = 0 ] && [ "$(q t_django "SELECT count(*) FROM django_migrations WHERE app = '"'notes'"'")" = 1 ]')" "$W/django.log"
	else
		skip "Django: python3-django (with psycopg2) is not installed"
	fi

	# ---------------------------------------------------------------------
	# sqitch: the guard as the first line of each deploy script, outside its
	# BEGIN; and `dualbootctl require-test && sqitch deploy` so that not even
	# the registry is created on stable
	if command -v sqitch >/dev/null; then
		S=$W/sqitch
		mkdir -p "$S"
		newdb t_sqitch
		(
			cd "$S" || exit 1
			export SQITCH_USER_CONFIG=$S/user.conf
			printf '[user]\n\tname = Test\n\temail = test@example.org\n' >"$S/user.conf"
			sqitch init demo --engine pg --target "db:pg:t_sqitch" >/dev/null 2>&1 &&
				sqitch add accounts -n "accounts table" >/dev/null 2>&1 &&
				sqitch add broken -n "asks for failback, then fails" >/dev/null 2>&1
		) >"$W/sqitch.log" 2>&1
		cat >"$S/deploy/accounts.sql" <<-'EOF'
		SELECT dualboot_require_test();
		BEGIN;
		CREATE TABLE accounts (id int PRIMARY KEY);
		COMMIT;
		EOF
		cat >"$S/deploy/broken.sql" <<-'EOF'
		SELECT dualboot_require_test();
		BEGIN;
		SELECT dualboot_request_failback('sqitch broken');
		CREATE TABLE half_done (id int);
		SELECT 1 / 0;
		COMMIT;
		EOF
		echo 'DROP TABLE accounts;' >"$S/revert/accounts.sql"
		echo 'SELECT 1;' >"$S/revert/broken.sql"
		sq() { (cd "$S" && SQITCH_USER_CONFIG=$S/user.conf sqitch "$@"); }
		on_stable
		ctl require-test 2>"$W/sqitch.log" && sq deploy --to accounts >>"$W/sqitch.log" 2>&1
		result "sqitch behind dualbootctl require-test on stable: refused, no table, no registry" \
			"$(t eval '[ "$(tables t_sqitch accounts)" = 0 ] && [ "$(q t_sqitch "SELECT count(*) FROM pg_namespace WHERE nspname = '"'sqitch'"'")" = 0 ]')" "$W/sqitch.log"
		sq deploy --to accounts >"$W/sqitch.log" 2>&1
		rc=$?
		result "sqitch deploy on stable, guard in the script: refused (exit $rc), no table, change not registered, a fail event logged" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_sqitch accounts)" = 0 ] && [ "$(q t_sqitch "SELECT count(*) FROM sqitch.changes")" = 0 ] && [ "$(q t_sqitch "SELECT count(*) FROM sqitch.events WHERE event = '"'fail'"'")" = 1 ] && grep -q "stable slot A" "$W/sqitch.log"')" "$W/sqitch.log"
		on_test
		sq deploy --to accounts >"$W/sqitch.log" 2>&1
		result "sqitch deploy on test after the refused run (its registry logged a fail event): applied and registered" \
			"$(t eval '[ "$(tables t_sqitch accounts)" = 1 ] && [ "$(q t_sqitch "SELECT string_agg(change, '"','"') FROM sqitch.changes")" = accounts ]')" "$W/sqitch.log"
		save_record
		sq deploy >"$W/sqitch.log" 2>&1
		rc=$?
		result "sqitch: a failing change that asked for failback (exit $rc) leaves the record unchanged, not registered" \
			"$(t eval 'record_unchanged && [ $rc != 0 ] && [ "$(tables t_sqitch half_done)" = 0 ] && [ "$(q t_sqitch "SELECT string_agg(change, '"','"') FROM sqitch.changes")" = accounts ]')" "$W/sqitch.log"
	else
		skip "sqitch: the sqitch package is not installed"
	fi

	# ---------------------------------------------------------------------
	# Rails / ActiveRecord: the guard once before the migrations (what a
	# `db:migrate` prerequisite task does), and as the first statement of each
	# migration (ActiveRecord wraps each one in a transaction)
	if ruby -e 'require "active_record"; require "pg"' 2>/dev/null; then
		R=$W/rails
		mkdir -p "$R/migrate"
		newdb t_rails
		cat >"$R/migrate.rb" <<-'EOF'
		# migrate.rb [--guard-once] DIR [VERSION]: ActiveRecord's migrator, as
		# `rails db:migrate` runs it (connection from the libpq environment)
		require "active_record"
		guard_once = ARGV.delete("--guard-once")
		ActiveRecord::Base.establish_connection(adapter: "postgresql", database: "t_rails")
		ActiveRecord::Migration.verbose = false
		# the recipe's prerequisite task: refuse before anything is written
		ActiveRecord::Base.connection.execute("SELECT dualboot_require_test()") if guard_once
		ctx = ActiveRecord::MigrationContext.new(ARGV[0], ActiveRecord::SchemaMigration)
		ctx.up(ARGV[1] && ARGV[1].to_i)
		EOF
		cat >"$R/migrate/20260101000001_create_accounts.rb" <<-'EOF'
		class CreateAccounts < ActiveRecord::Migration[6.1]
		  def up
		    execute "SELECT dualboot_require_test()"
		    create_table :accounts
		  end
		end
		EOF
		cat >"$R/migrate/20260101000002_broken.rb" <<-'EOF'
		class Broken < ActiveRecord::Migration[6.1]
		  def up
		    execute "SELECT dualboot_require_test()"
		    execute "SELECT dualboot_request_failback('rails 2')"
		    create_table :half_done
		    execute "SELECT 1 / 0"
		  end
		end
		EOF
		on_stable
		ruby "$R/migrate.rb" --guard-once "$R/migrate" 20260101000001 >"$W/rails.log" 2>&1
		rc=$?
		result "rails: the guard once before migrating, on stable: refused (exit $rc), nothing created (not even schema_migrations)" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_rails accounts schema_migrations ar_internal_metadata)" = 0 ] && grep -q "stable slot A" "$W/rails.log"')" "$W/rails.log"
		ruby "$R/migrate.rb" "$R/migrate" 20260101000001 >"$W/rails.log" 2>&1
		rc=$?
		result "rails: the guard in the migration, on stable: refused (exit $rc), no table, no version recorded" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_rails accounts)" = 0 ] && [ "$(q t_rails "SELECT count(*) FROM schema_migrations")" = 0 ] && grep -q "stable slot A" "$W/rails.log"')" "$W/rails.log"
		on_test
		ruby "$R/migrate.rb" --guard-once "$R/migrate" 20260101000001 >"$W/rails.log" 2>&1
		result "rails on test after the refused runs: applied and recorded" \
			"$(t eval '[ "$(tables t_rails accounts)" = 1 ] && [ "$(q t_rails "SELECT string_agg(version, '"','"') FROM schema_migrations")" = 20260101000001 ]')" "$W/rails.log"
		save_record
		ruby "$R/migrate.rb" --guard-once "$R/migrate" >"$W/rails.log" 2>&1
		rc=$?
		result "rails: a failing migration that asked for failback (exit $rc) leaves the record unchanged, not recorded" \
			"$(t eval 'record_unchanged && [ $rc != 0 ] && [ "$(tables t_rails half_done)" = 0 ] && [ "$(q t_rails "SELECT count(*) FROM schema_migrations")" = 1 ]')" "$W/rails.log"
	else
		skip "Rails/ActiveRecord: ruby-activerecord and ruby-pg are not installed"
	fi

	# ---------------------------------------------------------------------
	# Knex (npm): the guard as the first statement of each migration (knex
	# runs them in a transaction); its lock table must be free afterwards
	NPMBIN=$ROOT/build/npm-tools/node_modules/.bin
	if [ -x "$NPMBIN/knex" ]; then
		K=$W/knex
		mkdir -p "$K/migrations"
		newdb t_knex
		cat >"$K/knexfile.js" <<-'EOF'
		// the connection's host, port, user and password come from the libpq
		// environment, which node-postgres reads too
		module.exports = { client: "pg", connection: { database: "t_knex" },
		                   migrations: { directory: __dirname + "/migrations" } };
		EOF
		cat >"$K/migrations/001_accounts.js" <<-'EOF'
		exports.up = async (knex) => {
		  await knex.raw("SELECT dualboot_require_test()");
		  await knex.schema.createTable("accounts", (t) => t.increments());
		};
		exports.down = (knex) => knex.schema.dropTable("accounts");
		EOF
		cat >"$K/migrations/002_broken.js.off" <<-'EOF'
		exports.up = async (knex) => {
		  await knex.raw("SELECT dualboot_require_test()");
		  await knex.raw("SELECT dualboot_request_failback('knex 002')");
		  await knex.schema.createTable("half_done", (t) => t.integer("id"));
		  await knex.raw("SELECT 1 / 0");
		};
		exports.down = () => {};
		EOF
		# (the knex command looks for the knex module next to the project)
		ln -s "$ROOT/build/npm-tools/node_modules" "$K/node_modules"
		kx() { (cd "$K" && "$NPMBIN/knex" --knexfile "$K/knexfile.js" "$@"); }
		on_stable
		kx migrate:latest >"$W/knex.log" 2>&1
		rc=$?
		result "knex migrate:latest on stable: refused (exit $rc), no table, nothing recorded, the lock free" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_knex accounts)" = 0 ] && [ "$(q t_knex "SELECT count(*) FROM knex_migrations")" = 0 ] && [ "$(q t_knex "SELECT is_locked FROM knex_migrations_lock")" = 0 ] && grep -q "stable slot A" "$W/knex.log"')" "$W/knex.log"
		on_test
		kx migrate:latest >"$W/knex.log" 2>&1
		result "knex on test after the refused run: applied and recorded" \
			"$(t eval '[ "$(tables t_knex accounts)" = 1 ] && [ "$(q t_knex "SELECT count(*) FROM knex_migrations")" = 1 ]')" "$W/knex.log"
		mv "$K/migrations/002_broken.js.off" "$K/migrations/002_broken.js"
		save_record
		kx migrate:latest >"$W/knex.log" 2>&1
		rc=$?
		result "knex: a failing migration that asked for failback (exit $rc) leaves the record unchanged, not recorded, the lock free" \
			"$(t eval 'record_unchanged && [ $rc != 0 ] && [ "$(tables t_knex half_done)" = 0 ] && [ "$(q t_knex "SELECT count(*) FROM knex_migrations")" = 1 ] && [ "$(q t_knex "SELECT is_locked FROM knex_migrations_lock")" = 0 ]')" "$W/knex.log"
	else
		skip "Knex: not installed under build/npm-tools (npm could not fetch it)"
	fi

	# ---------------------------------------------------------------------
	# node-pg-migrate (npm): the guard as the first statement of each
	# migration (each runs in a transaction)
	if [ -x "$NPMBIN/node-pg-migrate" ]; then
		P=$W/npm-migrate
		mkdir -p "$P/migrations"
		newdb t_pgmigrate
		cat >"$P/migrations/1700000000001_accounts.cjs" <<-'EOF'
		exports.up = (pgm) => {
		  pgm.sql("SELECT dualboot_require_test()");
		  pgm.createTable("accounts", { id: "id" });
		};
		EOF
		cat >"$P/1700000000002_broken.cjs" <<-'EOF'
		exports.up = (pgm) => {
		  pgm.sql("SELECT dualboot_require_test()");
		  pgm.sql("SELECT dualboot_request_failback('node-pg-migrate 2')");
		  pgm.createTable("half_done", { id: "id" });
		  pgm.sql("SELECT 1 / 0");
		};
		EOF
		pm() { (cd "$P" && DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/t_pgmigrate" \
			"$NPMBIN/node-pg-migrate" -m "$P/migrations" "$@"); }
		on_stable
		pm up >"$W/pgm.log" 2>&1
		rc=$?
		result "node-pg-migrate up on stable: refused (exit $rc), no table, nothing recorded" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_pgmigrate accounts)" = 0 ] && [ "$(q t_pgmigrate "SELECT count(*) FROM pgmigrations")" = 0 ] && grep -q "stable slot A" "$W/pgm.log"')" "$W/pgm.log"
		on_test
		pm up >"$W/pgm.log" 2>&1
		result "node-pg-migrate on test after the refused run: applied and recorded" \
			"$(t eval '[ "$(tables t_pgmigrate accounts)" = 1 ] && [ "$(q t_pgmigrate "SELECT count(*) FROM pgmigrations")" = 1 ]')" "$W/pgm.log"
		mv "$P/1700000000002_broken.cjs" "$P/migrations/"
		save_record
		pm up >"$W/pgm.log" 2>&1
		rc=$?
		result "node-pg-migrate: a failing migration that asked for failback (exit $rc) leaves the record unchanged, not recorded" \
			"$(t eval 'record_unchanged && [ $rc != 0 ] && [ "$(tables t_pgmigrate half_done)" = 0 ] && [ "$(q t_pgmigrate "SELECT count(*) FROM pgmigrations")" = 1 ]')" "$W/pgm.log"
	else
		skip "node-pg-migrate: not installed under build/npm-tools (npm could not fetch it)"
	fi

	# ---------------------------------------------------------------------
	# Liquibase (the npm package "liquibase", which carries the Liquibase
	# CLI and the PostgreSQL JDBC driver; needs Java): the guard as the first
	# statement of each changeset (each runs in a transaction); its lock
	# (databasechangeloglock) must be free after a refused run
	LQ=$ROOT/build/npm-tools/node_modules/liquibase/dist/liquibase/liquibase
	if [ -x "$LQ" ] && command -v java >/dev/null; then
		L=$W/liquibase
		mkdir -p "$L"
		newdb t_liquibase
		cat >"$L/changelog.sql" <<-'EOF'
		--liquibase formatted sql

		--changeset dualboot:1
		SELECT dualboot_require_test();
		CREATE TABLE accounts (id int PRIMARY KEY);
		EOF
		lq() {
			(cd "$L" && LIQUIBASE_ANALYTICS_ENABLED=false LIQUIBASE_SHOW_BANNER=false \
				"$LQ" --changelog-file=changelog.sql \
				--url="jdbc:postgresql://$PGHOST:$PGPORT/t_liquibase" \
				--username="$PGUSER" --password="$PGPASSWORD" "$@")
		}
		lqlocked() { q t_liquibase "SELECT coalesce(bool_or(locked)::text, 'no lock row') FROM databasechangeloglock"; }
		on_stable
		lq update >"$W/liquibase.log" 2>&1
		rc=$?
		result "liquibase update on stable: refused (exit $rc), no table, changeset not recorded, the lock released" \
			"$(t eval '[ $rc != 0 ] && [ "$(tables t_liquibase accounts)" = 0 ] && [ "$(q t_liquibase "SELECT count(*) FROM databasechangelog")" = 0 ] && [ "$(lqlocked)" = false ] && grep -q "stable slot A" "$W/liquibase.log"')" "$W/liquibase.log"
		on_test
		lq update >"$W/liquibase.log" 2>&1
		result "liquibase on test after the refused run: applied and recorded" \
			"$(t eval '[ "$(tables t_liquibase accounts)" = 1 ] && [ "$(q t_liquibase "SELECT count(*) FROM databasechangelog")" = 1 ]')" "$W/liquibase.log"
		cat >>"$L/changelog.sql" <<-'EOF'

		--changeset dualboot:2
		SELECT dualboot_require_test();
		SELECT dualboot_request_failback('liquibase 2');
		CREATE TABLE half_done (id int);
		SELECT 1 / 0;
		EOF
		save_record
		lq update >"$W/liquibase.log" 2>&1
		rc=$?
		result "liquibase: a failing changeset that asked for failback (exit $rc) leaves the record unchanged, not recorded, the lock released" \
			"$(t eval 'record_unchanged && [ $rc != 0 ] && [ "$(tables t_liquibase half_done)" = 0 ] && [ "$(q t_liquibase "SELECT count(*) FROM databasechangelog")" = 1 ] && [ "$(lqlocked)" = false ]')" "$W/liquibase.log"
	else
		skip "Liquibase: needs the npm package liquibase under build/npm-tools and Java (default-jre-headless)"
	fi

	echo "$n $failed" >"$W/count"
	exit 0
fi

# --- outside: prepare, then run the above inside a throw-away cluster ---
for tool in pg_virtualenv pg_config psql; do
	if ! command -v "$tool" >/dev/null; then
		nok "$tool is installed (run tools/deps.sh as root)"
		finish
	fi
done
W=$(mktemp -d "${TMPDIR:-/tmp}/dualboot-tools.XXXXXX")
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
if make -s install-extension DESTDIR="$W/install" >"$W/install.log" 2>&1 &&
	make -s build/dualbootctl >>"$W/install.log" 2>&1; then
	ok "make install-extension DESTDIR=<scratch>, build/dualbootctl"
else
	nok "build and install the extension"
	diag "$W/install.log"
	finish
fi
# the npm tools (pinned), fetched once into build/npm-tools; without npm or a
# registry they are skipped
# (node-pg-migrate 7.9: 9.0 needs Node 20.11, Debian 12 has 18)
NPM_TOOLS="knex@3.3.0 pg@8.23.1 node-pg-migrate@7.9.1 liquibase@4.28.1"
if command -v npm >/dev/null && { ! [ -x "$ROOT/build/npm-tools/node_modules/.bin/node-pg-migrate" ] ||
	! [ -x "$ROOT/build/npm-tools/node_modules/liquibase/dist/liquibase/liquibase" ]; }; then
	mkdir -p "$ROOT/build/npm-tools"
	timeout -k 10 600 npm install --prefix "$ROOT/build/npm-tools" --no-audit --no-fund --silent \
		$NPM_TOOLS >"$W/npm.log" 2>&1 || diag "$W/npm.log"
fi
S=$W/state
mkdir -p "$S"
: >"$S/empty.conf"
"$ROOT/build/dualbootctl" --config "$S/empty.conf" --state "$S/record" init --stable A >/dev/null
if [ "$(id -u)" = 0 ]; then chown -R postgres "$S"; fi
chmod 0600 "$S/record"
export DUALBOOTCTL=$ROOT/build/dualbootctl DUALBOOT_CONF=$S/empty.conf DUALBOOT_STATE=$S/record \
	DUALBOOT_MARKER=$S/run/booted DUALBOOT_WORK=$W
unset PGSERVICE PGDATABASE PGHOST PGPORT PGUSER PGPASSWORD
pg_virtualenv -t \
	-o "extension_destdir=$W/install" \
	-o "dualboot.state_path=$DUALBOOT_STATE" \
	-o "dualboot.boot_marker_path=$DUALBOOT_MARKER" \
	"$ROOT/test/t/$(basename "$0")" --inside "$n" >"$W/inside.tap" 2>"$W/inside.err"
rc=$?
sed -E '/^(not )?ok |^#/!s/^/# /' "$W/inside.tap"
if [ -s "$W/count" ]; then
	read -r n f <"$W/count"
	failed=$((failed + f))
else
	n=$(grep -cE '^(not )?ok ' "$W/inside.tap")
	nok "pg_virtualenv ran the suite (exit $rc)"
	diag "$W/inside.err"
fi
finish
