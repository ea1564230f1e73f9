#!/usr/bin/python
# -*- coding: utf-8 -*-
# dualboot.fleet.dualboot_facts (issue 19; docs/fleet.md)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: dualboot_facts
short_description: Facts about a dual-boot database server's slots, trial and rehearsals
description:
  - Reads the dualboot state record through C(dualbootctl status --json) and
    C(dualbootctl provenance --json) and returns them as the fact C(dualboot).
  - With I(database), also the schema fingerprint of that database on the
    running slot (C(dualboot_schema_fingerprint())), through C(psql).
  - Changes nothing.
version_added: "1.0.0"
author:
  - dualboot project
options:
  database:
    description:
      - A database whose schema fingerprint to read. Without it no SQL runs.
    type: str
extends_documentation_fragment:
  - dualboot.fleet.dualboot
  - dualboot.fleet.dualboot.psql
notes:
  - The current slot and role are the ones the boot marker and the record
    agree on (C(current_slot) is null when they do not).
seealso:
  - module: dualboot.fleet.dualboot_rehearsal
  - module: dualboot.fleet.dualboot_migrate
'''

EXAMPLES = r'''
- name: Read the machine's slots and trial
  dualboot.fleet.dualboot_facts:
    database: app

- name: Refuse to go on during a trial
  ansible.builtin.assert:
    that:
      - ansible_facts.dualboot.current_role == 'stable'
      - not ansible_facts.dualboot.trial_armed
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    dualboot:
      description:
        - The keys of C(dualbootctl status --json) (C(current_slot),
          C(current_role), C(stable_slot), C(test_slot), C(next_boot_slot),
          C(trial_armed), C(tries_left), C(confirmed), C(boot_count), C(seq), ...),
          plus C(rehearsals) (the list of C(dualbootctl provenance --json), each
          with C(name), C(database), C(state), C(slot), C(origin),
          C(server_major), C(fingerprint_before), C(fingerprint_after)),
          C(provenance), and C(fingerprint) (null without I(database)).
      type: dict
      sample:
        current_slot: A
        current_role: stable
        stable_slot: A
        test_slot: B
        trial_armed: false
        seq: 12
        fingerprint: "dbfp3:pg15:3f2a..."
        rehearsals:
          - name: 0042_orders
            state: completed
            origin: local
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dualboot.fleet.plugins.module_utils.dualboot import (
    CTL_ARGS, PG_ARGS, ctl_json, psql_value)


def main():
    spec = dict(CTL_ARGS)
    spec.update(PG_ARGS)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    facts = ctl_json(module, 'status', '--json')
    prov = ctl_json(module, 'provenance', '--json')
    facts['rehearsals'] = prov.get('rehearsals', [])
    facts['provenance'] = prov.get('provenance')
    facts['promotion'] = prov.get('promotion')
    facts['fingerprint'] = None
    if module.params['database']:
        facts['fingerprint'] = psql_value(module, 'SELECT dualboot_schema_fingerprint()')
    module.exit_json(changed=False, ansible_facts=dict(dualboot=facts))


if __name__ == '__main__':
    main()
