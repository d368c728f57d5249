import{a as n,b as e,c as t}from"./chunk-HIG7NCSI.js";import*as r from"@sentry/browser";r.init({dsn:void 0,release:n,environment:e,sendDefaultPii:!1});function s(i){return t(i)}export{s as onDictation};
//# sourceMappingURL=main-LAQUV7NK.js.map
