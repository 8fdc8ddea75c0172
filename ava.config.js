// ava's configuration (was package.json's "ava" field; a file, because the
// order of test files is a function).
//
// Test files run two at a time (the CI machine has two cores and the lab tests
// are CPU-bound). The long lab files start first, longest first, so that none
// of them starts late and runs alone at the end while everything else is done;
// the rest keep ava's order. Minutes are from a CI run's log (ava's durations).
const LONGEST_FIRST = [
  'test/lab/ansible-compat.test.ts',
  'test/lab/faults-writes.test.ts',
  'test/lab/live-migration-tls.test.ts',
  'test/lab/live-migration.test.ts',
  'test/lab/live-migration-sysv.test.ts',
  'test/lab/modules-pkg.test.ts',
  'test/lab/modules-user.test.ts',
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
