#!/usr/bin/python
# -*- coding: utf-8 -*-
# dualboot.fleet.dualboot_rehearsal (issue 19; docs/fleet.md)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: dualboot_rehearsal
short_description: Export or import a dualboot rehearsal certificate
description:
  - C(state=exported) writes the completed rehearsal I(name) of the machine's
    record to I(path) as a certificate (C(dualbootctl rehearsal export)).
  - C(state=imported) adds the certificate at I(path) to the machine's record
    (C(dualbootctl rehearsal import), as root), so that
    C(dualboot_require_rehearsed(name)) can replay the migration on its stable
    slot. Refused, and nothing written, for a certificate of another
    PostgreSQL major or fingerprint algorithm, or one that is not a
    certificate.
version_added: "1.0.0"
author:
  - dualboot project
options:
  state:
    description: Export from this machine, or import into it.
    type: str
    choices: [exported, imported]
    required: true
  name:
    description: The rehearsal's name (C(state=exported)).
    type: str
  path:
    description: The certificate file on the machine.
    type: path
    required: true
  host:
    description:
      - The machine's name written into the certificate (C(state=exported));
        default its host name.
    type: str
  major:
    description:
      - The PostgreSQL major of this machine's stable cluster
        (C(state=imported)); default what dualbootctl finds
        (the one server major installed).
    type: int
extends_documentation_fragment:
  - dualboot.fleet.dualboot
notes:
  - Importing the same certificate again reports C(changed=false).
'''

EXAMPLES = r'''
- name: Export the canary's rehearsal
  dualboot.fleet.dualboot_rehearsal:
    state: exported
    name: 0042_orders
    path: /var/lib/dualboot/fleet/0042_orders.json
    host: "{{ inventory_hostname }}"

- name: Import it on a machine of the fleet
  dualboot.fleet.dualboot_rehearsal:
    state: imported
    path: /var/lib/dualboot/fleet/0042_orders.json
'''

RETURN = r'''
certificate:
  description: The certificate (parsed).
  returned: success
  type: dict
  sample:
    format: dualboot-rehearsal
    version: 1
    name: 0042_orders
    database: app
    fingerprint_before: "dbfp3:pg15:..."
    fingerprint_after: "dbfp3:pg15:..."
    server_major: 15
    rehearsed_on: {host: db-canary, slot: B}
stdout:
  description: What dualbootctl said.
  returned: always
  type: str
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dualboot.fleet.plugins.module_utils.dualboot import CTL_ARGS, run_ctl

# keys that change at every export and say nothing about the rehearsal
VOLATILE = ('exported_at',)


def same(a, b):
    return {k: v for k, v in a.items() if k not in VOLATILE} == \
        {k: v for k, v in b.items() if k not in VOLATILE}


def main():
    spec = dict(CTL_ARGS)
    spec.update(state=dict(type='str', choices=['exported', 'imported'], required=True),
                name=dict(type='str'), path=dict(type='path', required=True),
                host=dict(type='str'), major=dict(type='int'))
    module = AnsibleModule(argument_spec=spec,
                           required_if=[('state', 'exported', ('name',))])
    p = module.params
    if p['state'] == 'exported':
        args = ['rehearsal', 'export', p['name']]
        if p['host']:
            args += ['--host', p['host']]
        rc, out, err = run_ctl(module, *args)
        if rc != 0:
            module.fail_json(msg=err.strip() or 'dualbootctl rehearsal export failed', rc=rc)
        cert = json.loads(out)
        changed = True
        if os.path.exists(p['path']):
            try:
                with open(p['path']) as f:
                    changed = not same(json.load(f), cert)
            except ValueError:
                pass
        if changed:
            tmp = p['path'] + '.tmp'
            with open(tmp, 'w') as f:
                f.write(out)
            os.rename(tmp, p['path'])
        module.exit_json(changed=changed, certificate=cert, stdout=out)
    args = ['rehearsal', 'import', p['path']]
    if p['major']:
        args += ['--major', str(p['major'])]
    rc, out, err = run_ctl(module, *args)
    if rc != 0:
        module.fail_json(msg=err.strip() or 'dualbootctl rehearsal import failed', rc=rc,
                         stdout=out)
    with open(p['path']) as f:
        cert = json.load(f)
    module.exit_json(changed='in the record already' not in out, certificate=cert,
                     stdout=out)


if __name__ == '__main__':
    main()
