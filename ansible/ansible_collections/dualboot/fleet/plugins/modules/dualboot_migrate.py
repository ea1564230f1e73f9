#!/usr/bin/python
# -*- coding: utf-8 -*-
# dualboot.fleet.dualboot_migrate (issue 19; docs/fleet.md)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: dualboot_migrate
short_description: Run a schema migration behind dualboot's guard, rehearsing or replaying it
description:
  - C(mode=rehearse), on the trial boot of the test slot - runs
    C(SELECT dualboot_require_test()), then in one transaction
    C(dualboot_rehearsal_begin(name)), the migration and
    C(dualboot_rehearsal_end(name)), so that the record holds the schema
    fingerprints before and after it only if the whole migration committed.
  - C(mode=replay), on the stable slot - runs in one transaction
    C(dualboot_require_rehearsed(name)) and the migration. The server refuses
    unless the database's live schema is the rehearsal's starting point, and
    the commit fails unless the schema is then the rehearsal's result; a
    migration that fails rolls back whole. Either way the stable schema is
    left as it was and the task fails with the server's message.
  - The migration file must not hold its own transaction control
    (C(BEGIN)/C(COMMIT)); it runs inside the module's transaction.
version_added: "1.0.0"
author:
  - dualboot project
options:
  mode:
    description: Rehearse on the test slot, or replay on stable.
    type: str
    choices: [rehearse, replay]
    required: true
  name:
    description: The rehearsal's name (at most 39 bytes).
    type: str
    required: true
  migration:
    description: The migration's SQL file on the machine.
    type: path
    required: true
  database:
    description:
      - The database to migrate. Required to rehearse; to replay, default the
        database the rehearsal ran in.
    type: str
extends_documentation_fragment:
  - dualboot.fleet.dualboot
  - dualboot.fleet.dualboot.psql
notes:
  - Idempotent - when the live schema already is the rehearsal's result the
    module changes nothing (C(changed=false)).
  - Supports check mode (it then only compares fingerprints).
seealso:
  - module: dualboot.fleet.dualboot_rehearsal
'''

EXAMPLES = r'''
- name: Rehearse on the canary's test slot
  dualboot.fleet.dualboot_migrate:
    mode: rehearse
    name: 0042_orders
    migration: /var/lib/dualboot/fleet/0042_orders.sql
    database: app
    login_user: postgres

- name: Replay on every stable slot
  dualboot.fleet.dualboot_migrate:
    mode: replay
    name: 0042_orders
    migration: /var/lib/dualboot/fleet/0042_orders.sql
'''

RETURN = r'''
fingerprint_before:
  description: The database's schema fingerprint before the task.
  returned: always
  type: str
fingerprint_after:
  description: Its schema fingerprint after the task (equal to before when it failed).
  returned: always
  type: str
rehearsal:
  description: The rehearsal as the record holds it after the task.
  returned: when one exists
  type: dict
stderr:
  description: What psql said (the server's refusal, when it refused).
  returned: on failure
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dualboot.fleet.plugins.module_utils.dualboot import (
    CTL_ARGS, PG_ARGS, ctl_json, psql_argv, psql_value)

FINGERPRINT = 'SELECT dualboot_schema_fingerprint()'


def find_rehearsal(module, name):
    for r in ctl_json(module, 'provenance', '--json').get('rehearsals', []):
        if r.get('name') == name:
            return r
    return None


def script(mode, migration_sql):
    if mode == 'rehearse':
        # the guard outside the transaction block: on any slot but the test
        # slot it ends the session (FATAL), so nothing after it runs
        return ("SELECT dualboot_require_test();\n"
                "BEGIN;\n"
                "SELECT dualboot_rehearsal_begin(:'name');\n"
                "%s\n;\n"
                "SELECT dualboot_rehearsal_end(:'name');\n"
                "COMMIT;\n" % migration_sql)
    return ("BEGIN;\n"
            "SELECT dualboot_require_rehearsed(:'name');\n"
            "%s\n;\n"
            "COMMIT;\n" % migration_sql)


def main():
    spec = dict(CTL_ARGS)
    spec.update(PG_ARGS)
    spec.update(mode=dict(type='str', choices=['rehearse', 'replay'], required=True),
                name=dict(type='str', required=True),
                migration=dict(type='path', required=True))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('mode', 'rehearse', ('database',))])
    p = module.params
    r = find_rehearsal(module, p['name'])
    if p['mode'] == 'replay':
        if r is None or r.get('state') != 'completed':
            module.fail_json(msg='no completed rehearsal "%s" in the record: import its '
                             'certificate first (dualboot_rehearsal state=imported)' % p['name'])
        if not p['database']:
            p['database'] = r['database']
    try:
        with open(p['migration']) as f:
            sql = f.read()
    except (IOError, OSError) as e:
        module.fail_json(msg='cannot read the migration %s: %s' % (p['migration'], e))
    before = psql_value(module, FINGERPRINT)
    if r is not None and r.get('state') == 'completed' and before == r.get('fingerprint_after'):
        module.exit_json(changed=False, fingerprint_before=before, fingerprint_after=before,
                         rehearsal=r, msg='the schema already is the rehearsal\'s result')
    if module.check_mode:
        module.exit_json(changed=True, fingerprint_before=before, fingerprint_after=None,
                         rehearsal=r)
    rc, out, err = module.run_command(psql_argv(module, variables={'name': p['name']}),
                                      data=script(p['mode'], sql), binary_data=True)
    after = psql_value(module, FINGERPRINT)
    r = find_rehearsal(module, p['name'])
    if rc != 0:
        module.fail_json(msg='the migration %s did not commit (%s): %s'
                         % (p['name'], 'psql exit %d' % rc, err.strip()),
                         rc=rc, stderr=err, fingerprint_before=before, fingerprint_after=after,
                         rehearsal=r)
    module.exit_json(changed=True, fingerprint_before=before, fingerprint_after=after,
                     rehearsal=r)


if __name__ == '__main__':
    main()
