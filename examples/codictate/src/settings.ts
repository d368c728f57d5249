import { RELEASE } from "./release";
import { joinSegments } from "./transcribe";

export function aboutText(): string {
  return `Codictate ${RELEASE}: ${joinSegments([{ text: "settings", confidence: 1 }])}`;
}
