// Entry of test.html: the real UI over an in-memory backend (headless Chromium tests).
import { installFake } from "../tests/fake/backend";

installFake();
await import("./main");
