import assert from "node:assert/strict";
import { peakMemoryPhrase, peakRssBytes } from "../../kernel/peak_memory.ts";

Deno.test("peak RSS is VmHWM of /proc/self/status, in bytes", () => {
  const status = "Name:\tdeno\nVmPeak:\t 9000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 100000 kB\n";
  assert.equal(peakRssBytes(status), 123456 * 1024);
  assert.equal(peakRssBytes("Name:\tdeno\n"), null);
});

Deno.test("this process's peak RSS is at least its current RSS (Linux)", {
  ignore: Deno.build.os !== "linux",
}, () => {
  const peak = peakRssBytes();
  assert.ok(peak !== null && peak >= Deno.memoryUsage().rss * 0.9, `${peak} vs ${Deno.memoryUsage().rss}`);
});

Deno.test("peakMemoryPhrase() says GiB with two decimals, or that the peak is unknown", () => {
  assert.equal(peakMemoryPhrase(3.5 * 2 ** 30), "peak memory 3.50 GiB");
  assert.equal(peakMemoryPhrase(null), "peak memory unknown here");
});
