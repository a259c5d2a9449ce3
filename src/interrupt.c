/* SPDX-License-Identifier: MIT */
/* interrupt.c — stop requests by signal (see interrupt.h). A handler may only
 * touch volatile sig_atomic_t: everything else happens outside it. */
#include "gradsweep/interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t last_signal;
static volatile sig_atomic_t signals;

static void on_stop_signal(int sig) {
    last_signal = sig;
    if (signals < 1000) signals = signals + 1;
}

void interrupt_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* let interrupted system calls (writes) finish */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int interrupt_signal(void) { return last_signal; }
int interrupt_count(void) { return signals; }

void interrupt_lock_lost(void) {
    signals = 1000;
    last_signal = INTERRUPT_LOCK_LOST;
}

const char *interrupt_name(int sig) {
    switch (sig) {
    case INTERRUPT_LOCK_LOST: return "the loss of the results file's lock";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
    }
}
