// SPDX-License-Identifier: MIT
/*
 * How a guest ends - killed with a reason, or exited with a status - and
 * its console line. Both stop every vCPU at its next exit; both may be
 * called from any vCPU, device model or host thread.
 */
#include "vmm/guest_report.h"
#include "vmm/vcpu_kick.h"
#include "kernel/log.h"

void guest_kill(struct guest *g, const char *why)
{
	guest_kill_on_exit(g, GUEST_DEATH_NOT_AN_EXIT, why);
}

void guest_kill_on_exit(struct guest *g, u32 exit_reason, const char *why)
{
	unsigned long flags = spin_lock_irqsave(&g->report_lock);
	bool first = !g->report.died;

	if (first) {
		g->report.died = true;
		g->report.death_exit_reason = exit_reason;
		ksnprintf(g->report.death, sizeof(g->report.death), "%s", why);
	}
	spin_unlock_irqrestore(&g->report_lock, flags);
	if (first)
		pr_info("guest %s: killed: %s\n", g->name, why);
	guest_kick_all(g);
}

void guest_exit(struct guest *g, u64 status)
{
	unsigned long flags = spin_lock_irqsave(&g->report_lock);

	if (!g->report.exited && !g->report.died) {
		g->report.exited = true;
		g->report.exit_status = status;
	}
	spin_unlock_irqrestore(&g->report_lock, flags);
	guest_kick_all(g);
}

/*
 * Guest console lines go to the host log as "[cpuN] name| text", so they
 * never start a line with "ok"/"not ok" and the boot's KTAP stays the
 * host's own; the guest's results reach it through HC_KTAP_RESULT.
 */
void guest_console_write(struct guest *g, const char *s, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&g->console_lock);

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool flush = c == '\n' ||
			     g->console_len == sizeof(g->console_buf) - 1;

		if (c != '\n' && c != '\r')
			g->console_buf[g->console_len++] =
				(c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
		if (flush) {
			g->console_buf[g->console_len] = 0;
			log_raw("[%s] %s\n", g->name, g->console_buf);
			g->console_len = 0;
		}
	}
	spin_unlock_irqrestore(&g->console_lock, flags);
}
