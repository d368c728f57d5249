// The release name: the Sentry project slug, not package.json's "name" (that is "handy-app").
export const SENTRY_PROJECT = "codictate";
export const APP_VERSION = "1.4.2";
export const RELEASE = `${SENTRY_PROJECT}@${APP_VERSION}`;
export const ENVIRONMENT = "production";
