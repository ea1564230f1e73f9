# -*- coding: utf-8 -*-
# dualboot.fleet module_utils: run dualbootctl and psql on the managed machine.
# The modules share these so that each builds its command lines one way.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import shlex

# the options every module of the collection takes
CTL_ARGS = dict(
    ctl=dict(type='str', default='dualbootctl'),
)
PG_ARGS = dict(
    psql=dict(type='str', default='psql'),
    login_host=dict(type='str'),
    login_user=dict(type='str'),
    database=dict(type='str'),
)


def ctl_argv(module, *args):
    """dualbootctl (the ctl option, split like a shell would) and args."""
    return shlex.split(module.params['ctl']) + [str(a) for a in args]


def run_ctl(module, *args, **kw):
    """Run dualbootctl; returns (rc, stdout, stderr)."""
    return module.run_command(ctl_argv(module, *args), **kw)


def ctl_json(module, *args):
    """dualbootctl ... --json, parsed; fails the module on an error."""
    rc, out, err = run_ctl(module, *args)
    if rc != 0:
        module.fail_json(msg='dualbootctl %s failed (exit %d): %s'
                         % (' '.join(args), rc, err.strip()), rc=rc)
    try:
        return json.loads(out)
    except ValueError as e:
        module.fail_json(msg='dualbootctl %s printed no JSON: %s' % (' '.join(args), e))


def psql_argv(module, database=None, variables=None):
    """psql that stops at the first error, quiet, unaligned, tuples only."""
    p = module.params
    argv = [p['psql'], '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']
    if p.get('login_host'):
        argv += ['-h', p['login_host']]
    if p.get('login_user'):
        argv += ['-U', p['login_user']]
    db = database or p.get('database')
    if db:
        argv += ['-d', db]
    for k, v in sorted((variables or {}).items()):
        argv += ['-v', '%s=%s' % (k, v)]
    return argv


def psql_value(module, sql, database=None):
    """The one value a query returns; fails the module on an error."""
    rc, out, err = module.run_command(psql_argv(module, database) + ['-c', sql])
    if rc != 0:
        module.fail_json(msg='psql failed (exit %d): %s' % (rc, err.strip()), rc=rc,
                         stderr=err)
    return out.strip()
