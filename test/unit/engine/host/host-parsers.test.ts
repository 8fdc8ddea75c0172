// Pure parsers of the host layer, on recorded outputs. (The facts' parsers
// have their table tests in test/unit/engine/facts/.)

import test from 'ava';
import { buildSectionScript, parseSections } from '../../../../engine/host/host.js';

test('sections: exact content, marker look-alikes from another call, missing section', (t) => {
  const nonce = 'n1';
  const { script, count } = buildSectionScript(['a', 'b'], nonce);
  t.is(count, 2);
  t.true(script.includes('@@tsplay:n1:begin:0@@'));
  const out = '@@tsplay:n1:begin:0@@\nx\n@@tsplay:n0:end:0@@ 0\nno-nl\n@@tsplay:n1:end:0@@ 0\n@@tsplay:n1:begin:1@@\n\n@@tsplay:n1:end:1@@ 7\n';
  const err = '@@tsplay:n1:begin:0@@\n\n@@tsplay:n1:end:0@@ 0\n@@tsplay:n1:begin:1@@\noops\n\n@@tsplay:n1:end:1@@ 7\n';
  t.deepEqual(parseSections(out, err, nonce, 2), [
    { rc: 0, stdout: 'x\n@@tsplay:n0:end:0@@ 0\nno-nl', stderr: '' },
    { rc: 7, stdout: '', stderr: 'oops\n' },
  ]);
  t.throws(() => parseSections(out.slice(0, 60), err, nonce, 2), { message: /section 0/ });
});
