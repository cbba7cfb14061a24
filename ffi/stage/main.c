/* ctr's native stage and monitor: one static program, embedded in the ctr executable and run from
 * a sealed memfd. `ctr monitor <id>` is the only way it is started (by ctr, with its config on
 * fd 4); everything else about it is in monitor.c and stage.c. */
#include "rt.h"

int monitor_main(void);

int ctr_main(int argc, char **argv, char **envp) {
  (void)envp;
  if (argc >= 2 && rt_streq(argv[1], "monitor")) return monitor_main();
  rt_write_all(2, "ctr-stage: started by ctr only (ctr monitor <id>, config on fd 4)\n", 67);
  return 125;
}
