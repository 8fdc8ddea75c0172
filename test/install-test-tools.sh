#!/bin/sh
# npm's pretest: what the suite needs beside node_modules that the lab does not
# install itself (the lab installs its own tools: engine/lab/system.ts).
#   ansible-core  ansible-playbook 2.14, the reference of the *-vs-ansible tests
#   ansible       its collections (community.general.ini_file, ansible.posix.*)
#   chromium      the headless browser the --report page is checked in (playwright-core drives it)
#   zip unzip     archives the unarchive tests make and read on this machine
# Run as root on Debian, it installs what is missing with apt-get; otherwise it
# says what is missing and the tests that need it fail with the same words.
set -eu
missing=""
[ -x /usr/bin/ansible-playbook ] || missing="$missing ansible-core"
[ -d /usr/lib/python3/dist-packages/ansible_collections/ansible/posix ] || missing="$missing ansible"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -x /usr/bin/zip ] || missing="$missing zip"
[ -x /usr/bin/unzip ] || missing="$missing unzip"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test tools missing:$missing (as root: apt-get install$missing)" >&2
  exit 0
fi
echo "installing test tools:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing || { apt-get -q update && apt-get install -y -q --no-install-recommends $missing; }
