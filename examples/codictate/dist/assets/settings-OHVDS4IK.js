import{a as t,c as e}from"./chunk-HIG7NCSI.js";function i(){return`Codictate ${t}: ${e([{text:"settings",confidence:1}])}`}export{i as aboutText};
//# sourceMappingURL=settings-OHVDS4IK.js.map
