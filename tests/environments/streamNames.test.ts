import { describe, expect, it } from "vitest";
import { streamNames } from "../../environments/streamNames.js";

describe("streamNames", () => {
  it("keeps dev's names from before environments and gives every other environment its own", () => {
    expect(streamNames("dev")).toEqual({ kafkaGroup: "pulse-ingest", subscriptionPrefix: "pulse-" });
    expect(streamNames("qa")).toEqual({ kafkaGroup: "pulse-ingest-qa", subscriptionPrefix: "pulse-qa-" });
    expect(streamNames("prod")).not.toEqual(streamNames("qa"));
  });
});
