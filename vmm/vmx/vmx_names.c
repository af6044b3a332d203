// SPDX-License-Identifier: MIT
/*
 * Lookup tables generated from the X-macro lists in vmm/vmx/vmx_names.h and
 * vmm/vmx/vmcs_fields.h. Designated initialisers keep the tables sparse-safe:
 * a number the list skips reads as NULL and prints as "?".
 */
#include "vmm/vmx/vmx_names.h"
#include "vmm/vmx/vmcs_fields.h"
#include "kernel/compiler.h"

static const char *const exit_reason_names[VMX_NR_EXIT_REASONS] = {
#define EXIT_NAME(name, nr) [nr] = #name,
	VMX_EXIT_REASONS(EXIT_NAME)
#undef EXIT_NAME
};

/* Entry @i of a sparse name table, "?" where it has none. */
static const char *table_name(const char *const *names, size_t n, u32 i)
{
	return i < n && names[i] ? names[i] : "?";
}

const char *vmx_exit_reason_name(u32 basic)
{
	return table_name(exit_reason_names, ARRAY_SIZE(exit_reason_names),
			  basic);
}

static const char *const insn_error_names[29] = {
#define INSN_ERR_NAME(nr, text) [nr] = text,
	VMX_INSN_ERRORS(INSN_ERR_NAME)
#undef INSN_ERR_NAME
};

const char *vmx_insn_error_name(u32 err)
{
	return table_name(insn_error_names, ARRAY_SIZE(insn_error_names), err);
}

static const struct {
	u32 encoding;
	const char *name;
} vmcs_field_names[] = {
#define FIELD_NAME(name, enc) { enc, #name },
	VMCS_FIELDS(FIELD_NAME)
#undef FIELD_NAME
};

const char *vmcs_field_name(u64 encoding)
{
	for (size_t i = 0; i < ARRAY_SIZE(vmcs_field_names); i++)
		if (vmcs_field_names[i].encoding == encoding)
			return vmcs_field_names[i].name;
	return "?";
}
