// Removing a container's state: its directory (state files and, for an image, its layers). Its
// mounts lived in its own mount namespace and its cgroup went with its monitor's list 2.
import * as files from "../files";
import { log } from "../log";
import { EXIT } from "../errors";

/** Removal must not hide the error that got us here: a failure is reported on its own. */
export function removeContainerFiles(dir: string): void {
  try {
    files.removeTree(dir);
  } catch (e) {
    log.error(`cleanup: remove ${dir}: ${(e as Error).message}`);
    process.exitCode = EXIT.CTR_FAILED;
  }
}
