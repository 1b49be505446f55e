// Capture forms that hand out tickets: every thread takes tickets with `atomic capture` (the
// value before the increment, and the value after) and stamps the slot its ticket names. Across
// ranks the tickets must stay unique (no slot taken twice, none left empty), which only a
// team-wide order gives; sequential code checks it after the region and again after a second
// region that starts from a non-zero counter.
#include <omp.h>
#include <stdio.h>

#define TICKETS 1200
static int next_ticket = 0;
static int after_ticket = 1000;
static int slot[TICKETS];
static int slot_after[TICKETS];

int main(void) {
    #pragma omp parallel
    {
        for (;;) {
            int mine;
            #pragma omp atomic capture
            mine = next_ticket++;
            if (mine >= TICKETS) break;
            slot[mine] += 1;
        }
    }
    int unique = 1;
    for (int i = 0; i < TICKETS; i++) unique &= slot[i] == 1;
    printf("tickets before-capture: unique %d, counter %d (at least %d)\n", unique, next_ticket >= TICKETS, TICKETS);
    #pragma omp parallel
    {
        for (;;) {
            int mine;
            #pragma omp atomic capture
            mine = ++after_ticket;
            if (mine > 1000 + TICKETS) break;
            slot_after[mine - 1001] += 1;
        }
    }
    unique = 1;
    for (int i = 0; i < TICKETS; i++) unique &= slot_after[i] == 1;
    printf("tickets after-capture from 1000: unique %d\n", unique);
    return 0;
}
