import { RELEASE } from "./release";

export interface Segment {
  text: string;
  confidence: number;
}

export function joinSegments(segments: Segment[]): string {
  if (segments.length === 0) {
    throw new Error(`no segments to join (${RELEASE})`);
  }
  return segments
    .filter((segment) => segment.confidence >= 0.5)
    .map((segment) => segment.text.trim())
    .join(" ");
}
