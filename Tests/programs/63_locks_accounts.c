// Theme: simple locks (omp_init_lock, omp_set_lock, omp_unset_lock, omp_test_lock,
// omp_destroy_lock) initialized in sequential code and used in regions: transfers between two
// accounts under one lock with the invariant a + b == total checked inside the lock; a balance,
// its negation and a transaction count that must move together, updated after omp_test_lock
// spin-until-acquired loops (only totals are printed, never the number of tries); a lock the
// master holds across a barrier, which every other thread must then fail to take with
// omp_test_lock; a lock local to main, initialized and destroyed around each of several regions.
#include <omp.h>
#include <stdio.h>

#define N 4000

static int opaque(int x) { __asm__ volatile("" : "+r"(x)); return x; }

static omp_lock_t bank;
static long acct_a, acct_b;
static long balance, neg_balance, ntx;

int main(void) {
    printf("63 simple locks\n");
    int bad = 0, n = opaque(N);
    const long total = 1000000;

    omp_init_lock(&bank);
    // Uncontended use in sequential code: test succeeds, set/unset work.
    int t0 = omp_test_lock(&bank);
    omp_unset_lock(&bank);
    omp_set_lock(&bank);
    omp_unset_lock(&bank);
    printf("sequential test_lock: %d\n", t0);
    if (t0 != 1) bad++;

    // Transfers between two accounts; the invariant is checked while the lock is held.
    acct_a = total / 2; acct_b = total - acct_a;
    int broken = 0;
    #pragma omp parallel for schedule(dynamic, 5)
    for (int i = 0; i < n; i++) {
        long amount = (i * 37) % 101 + 1;
        omp_set_lock(&bank);
        if (acct_a + acct_b != total) broken++;
        if (i % 2) { acct_a -= amount; acct_b += amount; }
        else { acct_b -= amount; acct_a += amount; }
        omp_unset_lock(&bank);
    }
    long ea = total / 2;
    for (int i = 0; i < N; i++) { long amount = (i * 37) % 101 + 1; ea += (i % 2) ? -amount : amount; }
    printf("accounts: a=%ld b=%ld broken invariants=%d\n", acct_a, acct_b, broken);
    if (acct_a != ea || acct_b != total - ea || broken) bad++;

    // A balance and its negation that must move together, and a transaction count: deposits taken
    // with omp_test_lock spinning until acquired.
    balance = 0; neg_balance = 0; ntx = 0;
    long acquired = 0;
    int torn = 0;
    #pragma omp parallel reduction(+:acquired)
    {
        #pragma omp for schedule(guided, 2)
        for (int i = 0; i < n; i++) {
            long tries = 0;
            while (!omp_test_lock(&bank)) tries++;   // the number of tries is never printed
            (void)tries;
            acquired++;
            if (balance + neg_balance != 0) torn++;
            balance += i % 13 - 6;
            ntx++;
            neg_balance -= i % 13 - 6;
            omp_unset_lock(&bank);
        }
    }
    long eb = 0;
    for (int i = 0; i < N; i++) eb += i % 13 - 6;
    printf("deposits: balance=%ld negated=%ld transactions=%ld acquisitions=%ld torn=%d\n", balance, neg_balance, ntx,
           acquired, torn);
    if (balance != eb || neg_balance != -eb || ntx != N || acquired != N || torn) bad++;

    // The master holds the lock across a barrier; every other thread's omp_test_lock must fail.
    int fails = 0, team = 0, master_got = 0;
    #pragma omp parallel
    {
        #pragma omp master
        {
            team = omp_get_num_threads();
            master_got = omp_test_lock(&bank);
        }
        #pragma omp barrier
        if (omp_get_thread_num() != 0) {
            int got = omp_test_lock(&bank);
            if (!got) {
                #pragma omp atomic
                fails++;
            } else {
                omp_unset_lock(&bank);
            }
        }
        #pragma omp barrier
        #pragma omp master
        omp_unset_lock(&bank);
    }
    printf("held by the master: master got it %d, other threads failed to take it: %s\n", master_got,
           fails == team - 1 ? "all" : "not all");
    if (master_got != 1 || fails != team - 1) bad++;
    omp_destroy_lock(&bank);

    // A lock local to main, created and destroyed around each of several regions.
    long local_total = 0;
    int local_count = 0;
    for (int r = 0; r < 5; r++) {
        omp_lock_t local;
        omp_init_lock(&local);
        #pragma omp parallel for schedule(static, 3)
        for (int i = 0; i < 300; i++) {
            omp_set_lock(&local);
            local_total += (long)r * 1000 + i;
            local_count++;
            omp_unset_lock(&local);
        }
        omp_destroy_lock(&local);
    }
    printf("local lock, 5 regions: total=%ld count=%d\n", local_total, local_count);
    if (local_total != 5L * 300 * 299 / 2 + 300L * 1000 * 10 || local_count != 1500) bad++;

    if (bad) { printf("FAIL 63: %d mismatches\n", bad); return 1; }
    printf("63 ok\n");
    return 0;
}
