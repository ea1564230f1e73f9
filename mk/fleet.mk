# mk/fleet.mk - `make fleet-test` (issue 19, DESIGN section 7): the
# dualboot.fleet Ansible collection (ansible/ansible_collections/dualboot/fleet/)
# run for real by ansible-playbook against five simulated dual-boot machines
# on this host (tools/sim-machine.sh), over ssh to an sshd the test starts on
# a free port of 127.0.0.1: the canary rehearsal, a rollout in waves stopped by
# schema drift and by a failing migration, then a rollout to all
# (test/t/75-fleet.t, also part of `make test`; docs/fleet.md).
.PHONY: fleet-test
fleet-test:
	tools/deps.sh
	$(MAKE) WERROR=-Werror build/dualbootctl
	prove --timer -v test/t/75-fleet.t
