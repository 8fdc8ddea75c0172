# Render `<{{ expression }}>` for each line of stdin with ansible-core's own
# Templar and print [expression, result] as one JSON line each (or
# "ERROR: ..." when Ansible refuses it). argv[1]: the variables as JSON.
# Used by test/unit/engine/template/expression-ansible.test.ts to generate
# and re-check its table against the real Ansible.
import json
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

variables = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
templar = Templar(loader=DataLoader(), variables=variables)
for line in sys.stdin:
    expr = line.rstrip('\n')
    if not expr:
        continue
    try:
        print(json.dumps([expr, templar.template('<{{ ' + expr + ' }}>')]))
    except Exception as e:  # noqa: BLE001 - report any refusal as data
        print(json.dumps([expr, 'ERROR: ' + type(e).__name__ + ': ' + str(e).split('\n')[0][:150]]))
