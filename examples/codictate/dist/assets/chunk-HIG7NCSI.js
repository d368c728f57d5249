var o="codictate",r="1.4.2",n=`${o}@${r}`,i="production";function p(e){if(e.length===0)throw new Error(`no segments to join (${n})`);return e.filter(t=>t.confidence>=.5).map(t=>t.text.trim()).join(" ")}export{n as a,i as b,p as c};
//# sourceMappingURL=chunk-HIG7NCSI.js.map
