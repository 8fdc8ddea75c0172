// The built-in modules, imported by name, so that the engine finds them
// without reading this directory at run time and the CLI's bundle
// (dist/tsplay.mjs, `npm run build`) holds them. A module file added here
// must be listed below: test/unit/engine/load/registry.test.ts fails
// otherwise.

import type { ModuleDef } from '../engine/module-api.js';
import aptModule from './apt.js';
import aptKeyModule from './apt_key.js';
import aptRepositoryModule from './apt_repository.js';
import authorizedKeyModule from './authorized_key.js';
import blockinfileModule from './blockinfile.js';
import chownFindModule from './chown_find.js';
import commandModule from './command.js';
import copyModule from './copy.js';
import cronModule from './cron.js';
import debconfModule from './debconf.js';
import fetchModule from './fetch.js';
import fileModule from './file.js';
import findModule from './find.js';
import getUrlModule from './get_url.js';
import getentModule from './getent.js';
import gitModule from './git.js';
import groupModule from './group.js';
import groupmodModule from './groupmod.js';
import hostnameModule from './hostname.js';
import iniFileModule from './ini_file.js';
import lineinfileModule from './lineinfile.js';
import localeGenModule from './locale_gen.js';
import mountModule from './mount.js';
import packageModule from './package.js';
import packageFactsModule from './package_facts.js';
import pingModule from './ping.js';
import pipModule from './pip.js';
import replaceModule from './replace.js';
import serviceModule from './service.js';
import serviceFactsModule from './service_facts.js';
import setupModule from './setup.js';
import shellModule from './shell.js';
import slurpModule from './slurp.js';
import statModule from './stat.js';
import sysctlModule from './sysctl.js';
import systemdModule from './systemd.js';
import systemdServiceModule from './systemd_service.js';
import templateModule from './template.js';
import timezoneModule from './timezone.js';
import unarchiveModule from './unarchive.js';
import userModule from './user.js';
import usermodModule from './usermod.js';
import waitForModule from './wait_for.js';

/** Every built-in module, in the order of their file names. */
export const BUILTIN_MODULES: readonly ModuleDef[] = [
  aptModule,
  aptKeyModule,
  aptRepositoryModule,
  authorizedKeyModule,
  blockinfileModule,
  chownFindModule,
  commandModule,
  copyModule,
  cronModule,
  debconfModule,
  fetchModule,
  fileModule,
  findModule,
  getUrlModule,
  getentModule,
  gitModule,
  groupModule,
  groupmodModule,
  hostnameModule,
  iniFileModule,
  lineinfileModule,
  localeGenModule,
  mountModule,
  packageModule,
  packageFactsModule,
  pingModule,
  pipModule,
  replaceModule,
  serviceModule,
  serviceFactsModule,
  setupModule,
  shellModule,
  slurpModule,
  statModule,
  sysctlModule,
  systemdModule,
  systemdServiceModule,
  templateModule,
  timezoneModule,
  unarchiveModule,
  userModule,
  usermodModule,
  waitForModule,
];
