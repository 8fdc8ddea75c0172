# Ansible 2.14's own apt_repository SourcesList logic, run on given file texts
# (test/unit/modules/apt-repository-vs-ansible.test.ts). Reads JSON on stdin:
# {"files": {path: text}, "repo": str, "state": "present"|"absent", "filename": str|null}
# and prints {"changed": bool, "after": {path: text} | null, "error": str | null}:
# "after" is what save() leaves (files without entries removed). Nothing outside
# a temporary directory is read or written.
import json, os, sys, tempfile
import ansible.modules.apt_repository as m

req = json.load(sys.stdin)
tmp = tempfile.mkdtemp()
root = os.path.join(tmp, 'etc/apt')
os.makedirs(os.path.join(root, 'sources.list.d'))

class Mod:
    params = {'filename': req.get('filename')}
    def log(self, *a):
        pass

def local(p):
    return tmp + p

def public(p):
    return p[len(tmp):]

s = m.SourcesList.__new__(m.SourcesList)
s.module = Mod()
s.files = {}
s.new_repos = set()
s.default_file = local('/etc/apt/sources.list')
s._apt_cfg_dir = lambda spec: os.path.join(root, 'sources.list.d')
for path, text in req['files'].items():
    with open(local(path), 'w', newline='') as f:
        f.write(text)
    s.load(local(path))
before = s.dump()
try:
    if req['state'] == 'present':
        s.add_source(req['repo'])
    else:
        s.remove_source(req['repo'])
except m.InvalidSource as e:
    print(json.dumps({'changed': False, 'after': None, 'error': 'Invalid repository string: %s' % e}))
    sys.exit(0)
after = s.dump()
changed = before != after
print(json.dumps({'changed': changed, 'after': {public(p): t for p, t in after.items()} if changed else None, 'error': None}))
