# -*- coding: utf-8 -*-
# dualboot.fleet documentation fragments: the options every module shares
# (dualbootctl) and those of the modules that run psql.
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # extends_documentation_fragment: dualboot.fleet.dualboot
    DOCUMENTATION = r'''
options:
  ctl:
    description:
      - How to run dualbootctl on the machine, split like a shell command line
        (e.g. C(dualbootctl --config /etc/dualboot/dualboot.conf)).
    type: str
    default: dualbootctl
'''

    # extends_documentation_fragment: dualboot.fleet.dualboot.psql
    PSQL = r'''
options:
  psql:
    description: The psql program.
    type: str
    default: psql
  login_host:
    description: Host or socket folder for psql (C(-h)).
    type: str
  login_user:
    description:
      - Database user for psql (C(-U)); it must be allowed to run the dualboot
        functions the module calls.
    type: str
'''
