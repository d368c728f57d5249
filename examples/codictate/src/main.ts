import * as Sentry from "@sentry/browser";
import { ENVIRONMENT, RELEASE } from "./release";
import { joinSegments } from "./transcribe";

Sentry.init({
  dsn: import.meta.env.VITE_SENTRY_DSN,
  release: RELEASE,
  environment: ENVIRONMENT,
  sendDefaultPii: false,
});

export function onDictation(segments: { text: string; confidence: number }[]): string {
  return joinSegments(segments);
}
