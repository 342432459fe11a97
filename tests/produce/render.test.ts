import { describe, expect, it } from "vitest";
import { bpmEnvelopeLine, envelopeLine, kafkaMessage } from "../../produce/synthetic/render.js";
import type { BpmEvent } from "../../produce/synthetic/syntheticEvent.js";

describe("bpm fast path", () => {
  it.each([72.41, null, 0, -2])("spells the same line as the generic envelope (heartrate %s)", (heartrate) => {
    const event: BpmEvent = { feed: "bpm", emitAt: 1678410100, deviceId: 118440, time: 1678410000, heartrate };
    const line = bpmEnvelopeLine(event, 0, 12);
    expect(line).toBe(envelopeLine(kafkaMessage(event), 0, 12, event.emitAt));
    expect(JSON.parse(JSON.parse(line).value)).toEqual({ device_id: 118440, time: 1678410000, heartrate });
  });
});
