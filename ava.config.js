// ava's configuration (was package.json's "ava" field; a file, because the
// order of test files is a function).
//
// Test files run two at a time (the CI machine has two cores and the lab tests
// are CPU-bound). The long lab files start first, longest first, so that none
// of them starts late and runs alone at the end while everything else is done;
// then the unit files that hold one test of several minutes (each drives Ansible
// through a whole case table), for the same reason: in ava's order they came last.
// The rest keep ava's order. Minutes are from a CI run's log (ava's durations).
const LONGEST_FIRST = [
  'test/lab/ansible-compat.test.ts',
  'test/lab/faults-writes.test.ts',
  'test/lab/live-migration-tls.test.ts',
  'test/lab/live-migration.test.ts',
  'test/lab/live-migration-sysv.test.ts',
  'test/lab/modules-pkg.test.ts',
  'test/lab/modules-user.test.ts',
  'test/unit/modules/pip-vs-ansible.test.ts',
  'test/unit/modules/git-vs-ansible.test.ts',
  'test/unit/modules/unarchive-zip-vs-ansible.test.ts',
];

const rank = (file) => {
  const i = LONGEST_FIRST.findIndex((f) => file.endsWith(f));
  return i < 0 ? LONGEST_FIRST.length : i;
};

export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  files: ['test/**/*.test.ts'],
  timeout: '20m',
  concurrency: 2,
  // tsx's --import loader is not applied inside ava's worker threads: test files run in processes.
  workerThreads: false,
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b, [], { numeric: true }),
};
