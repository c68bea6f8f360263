/**
 * Masks PEM private keys (`-----BEGIN … PRIVATE KEY-----` to the matching
 * `-----END … PRIVATE KEY-----`) by a scan that is linear by construction.
 * A lazy regular expression (`BEGIN[\s\S]*?END`) restarts its search for the
 * END at every BEGIN: a string of repeated BEGIN lines and no END cost time
 * quadratic in its length (a 1 MB one held the event loop for seconds). Here
 * every character is looked at a bounded number of times: once no END
 * follows a BEGIN, none follows any later BEGIN either, and the scan stops.
 */

const BEGIN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/g;
// Sticky: tested only where `-----END ` was found by indexOf.
const END = /-----END [A-Z ]*PRIVATE KEY-----/y;
const END_PREFIX = '-----END ';

/**
 * `s` with every private key replaced by `mask`; `s` itself when there is
 * none. `openEnded`: the string was cut short, so a key begun but not ended
 * is a key cut in half: it is masked to the end rather than kept.
 */
export function maskPrivateKeys(s: string, mask: string, openEnded = false): string {
  let out = '';
  let copied = 0;
  let changed = false;
  let from = 0;
  for (;;) {
    BEGIN.lastIndex = from;
    const begin = BEGIN.exec(s);
    if (!begin) break;
    let endAt = -1;
    for (let k = s.indexOf(END_PREFIX, begin.index + begin[0].length); k >= 0; k = s.indexOf(END_PREFIX, k + 1)) {
      END.lastIndex = k;
      if (END.test(s)) {
        endAt = END.lastIndex;
        break;
      }
    }
    if (endAt < 0) {
      if (openEnded) {
        out += s.slice(copied, begin.index) + mask;
        copied = s.length;
        changed = true;
      }
      break;
    }
    out += s.slice(copied, begin.index) + mask;
    copied = from = endAt;
    changed = true;
  }
  return changed ? out + s.slice(copied) : s;
}
