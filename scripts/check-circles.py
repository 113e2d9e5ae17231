#!/usr/bin/env python3
"""Fails if, inside any crate, a module imports another that (directly or through others)
imports it back: `crate::` and `super::` paths are resolved to the modules (files) they name,
and every strongly connected component of more than one module is reported."""
import os,re,sys,glob
def modpath(crate_src, f):
    rel=os.path.relpath(f, crate_src)[:-3].split(os.sep)
    if rel[-1] in ('mod','lib','main'): rel=rel[:-1]
    return tuple(rel)
total=0
for crate in sorted(glob.glob('crates/*/src')):
    files=glob.glob(crate+'/**/*.rs', recursive=True)
    mods={modpath(crate,f):f for f in files}
    g={}
    for f in files:
        m=modpath(crate,f)
        src=open(f).read()
        src=re.sub(r'#\[cfg\(test\)\]\s*mod tests\s*\{.*', '', src, flags=re.S)
        deps=set()
        for path in re.findall(r'\b((?:crate|super)(?:::\w+)+)', src):
            parts=path.split('::')
            if parts[0]=='crate': base=[]; parts=parts[1:]
            else:
                base=list(m) if not f.endswith(('mod.rs','lib.rs','main.rs')) else list(m)+['_']
                base=base[:-1]
                while parts and parts[0]=='super':
                    parts=parts[1:]
                    if parts and parts[0]=='super': base=base[:-1]
            full=tuple(base+parts)
            # longest prefix that is a module
            for k in range(len(full),-1,-1):
                if full[:k] in mods:
                    if full[:k]!=m: deps.add(full[:k])
                    break
        g[m]=deps
    # find cycles via SCC
    index={};low={};st=[];on=set();res=[];c=[0]
    def sc(v):
        index[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
        for w in g.get(v,()):
            if w not in index: sc(w);low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],index[w])
        if low[v]==index[v]:
            comp=[]
            while True:
                w=st.pop();on.discard(w);comp.append(w)
                if w==v:break
            if len(comp)>1: res.append(comp)
    sys.setrecursionlimit(10000)
    for v in g:
        if v not in index: sc(v)
    for comp in res:
        total+=1
        print(crate, ' <-> '.join('/'.join(x) or 'lib' for x in comp))
print(f'module circles: {total}')
sys.exit(1 if total else 0)
