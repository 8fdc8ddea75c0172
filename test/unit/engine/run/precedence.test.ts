// engine/run/precedence.ts: a task's variables from named layers, in VAR_LAYERS order.

import test from 'ava';
import { MAGIC_VARIABLES, taskVars, VAR_LAYERS } from '../../../../engine/run/precedence.js';

test('taskVars merges in VAR_LAYERS order, several block layers outer to inner', (t) => {
  const v = taskVars({
    magic: { inventory_hostname: 'h1' },
    extra_vars: { x: 'extra', inventory_hostname: 'not me' },
    loop_vars: { item: 1, x: 'item' },
    task_vars: { t: 'task', b: 'task' },
    block_vars: [{ b: 'outer', o: 'outer' }, { b: 'inner' }],
    set_fact: { t: 'fact' },
    play_vars: { p: 'play', o: 'play' },
  });
  t.is(v.x, 'extra');
  t.is(v.inventory_hostname, 'h1');
  t.is(v.item, 1);
  t.is(v.t, 'fact');
  t.is(v.b, 'task');
  t.is(v.o, 'outer');
  t.is(v.p, 'play');
});

test('taskVars renders a templated value against the merged variables, when read', (t) => {
  const v = taskVars({ play_vars: { a: 'play', msg: '{{ a }}-x' }, set_fact: { a: 'fact' } });
  t.is(v.msg, 'fact-x');
});

test('an unknown layer name is an error', (t) => {
  t.throws(() => taskVars({ nope: {} } as never), { message: /unknown variable layer "nope"/ });
});

test('the magic layer is last and defines omit', (t) => {
  t.is(VAR_LAYERS[VAR_LAYERS.length - 1], 'magic');
  t.true(MAGIC_VARIABLES.includes('omit'));
  t.true(MAGIC_VARIABLES.includes('hostvars'));
});
