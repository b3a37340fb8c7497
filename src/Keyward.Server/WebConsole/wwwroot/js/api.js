// The signed-in session: the access key lives in this module's memory (and, if the user asks, in this tab's
// sessionStorage), never in a URL, a cookie or a log. Every call is an ordinary KMS or CloudTrail call, SigV4-signed
// here by the AWS SDK for JavaScript, to this page's own origin.
import * as sdk from "../vendor/aws-sdk.js";

const STORAGE = "keyward.console.session";
let session = null;

export { sdk };

export async function serverRegion() {
  const response = await fetch("config.json", { cache: "no-cache" });
  return (await response.json()).region;
}

function clients(credentials, region) {
  const config = { region, endpoint: location.origin, credentials, maxAttempts: 1 };
  return { kms: new sdk.KMSClient(config), trail: new sdk.CloudTrailClient(config) };
}

/** Signs in: the key is accepted once the server has checked its signature (AccessDenied still proves the key). */
export async function signIn(accessKeyId, secretAccessKey, region, remember) {
  const id = accessKeyId.trim();
  const candidate = { accessKeyId: id, region, ...clients({ accessKeyId: id, secretAccessKey }, region) };
  try {
    await candidate.kms.send(new sdk.ListKeysCommand({ Limit: 1 }));
  } catch (e) {
    if (e.name !== "AccessDeniedException") throw e;
  }
  session = candidate;
  if (remember) sessionStorage.setItem(STORAGE, JSON.stringify({ accessKeyId: candidate.accessKeyId, secretAccessKey, region }));
  else sessionStorage.removeItem(STORAGE);
}

export function restore() {
  const saved = sessionStorage.getItem(STORAGE);
  if (!saved) return false;
  try {
    const { accessKeyId, secretAccessKey, region } = JSON.parse(saved);
    session = { accessKeyId, region, ...clients({ accessKeyId, secretAccessKey }, region) };
    return true;
  } catch {
    sessionStorage.removeItem(STORAGE);
    return false;
  }
}

export function signOut() {
  session = null;
  sessionStorage.removeItem(STORAGE);
}

export const current = () => session;

/** One KMS call: kms("DescribeKey", { KeyId }). */
export const kms = (operation, input = {}) => session.kms.send(new sdk[`${operation}Command`](input));

export const lookupEvents = (input) => session.trail.send(new sdk.LookupEventsCommand(input));

/** Every page of a KMS list operation (Marker/NextMarker/Truncated), up to a bound. */
export async function all(operation, input, member, bound = 1000) {
  const items = [];
  let Marker;
  do {
    const page = await kms(operation, { ...input, Marker });
    items.push(...(page[member] ?? []));
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker && items.length < bound);
  return items;
}

/** Runs fn over items, at most `width` at a time, keeping each result or its error. */
export async function each(items, fn, width = 6) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try { results[i] = { value: await fn(items[i]) }; } catch (error) { results[i] = { error }; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
