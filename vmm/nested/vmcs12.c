// SPDX-License-Identifier: MIT
/*
 * The VMCS12 field table (vmcs12.h): encoding -> offset, width, and
 * whether L1 may write it, generated from VMCS12_FIELDS.
 */
#include "vmm/nested/vmcs12.h"

static const struct vmcs12_field vmcs12_fields[] = {
#define VMCS12_TABLE(member, enc)					\
	{ .encoding = (enc),						\
	  .offset = __builtin_offsetof(struct vmcs12, member),		\
	  .width = VMCS_ENC_WIDTH(enc),					\
	  .read_only = VMCS_ENC_TYPE(enc) == VMCS_ENC_TYPE_RO },
	VMCS12_FIELDS(VMCS12_TABLE)
#undef VMCS12_TABLE
};

const struct vmcs12_field *vmcs12_field_find(u64 encoding, bool *high)
{
	u32 enc;

	/* Bits 63:32 of the operand are part of the encoding: none is 0. */
	if (encoding >> 32)
		return NULL;
	enc = (u32)encoding;
	*high = false;
	/* Only 64-bit fields have a high half (bit 0 is "access type"). */
	if ((enc & VMCS_ENC_HIGH) && VMCS_ENC_WIDTH(enc) == VMCS_WIDTH_64) {
		*high = true;
		enc &= ~(u32)VMCS_ENC_HIGH;
	}
	for (size_t i = 0; i < ARRAY_SIZE(vmcs12_fields); i++)
		if (vmcs12_fields[i].encoding == enc)
			return &vmcs12_fields[i];
	return NULL;
}

static u64 width_mask(unsigned int width)
{
	switch (width) {
	case VMCS_WIDTH_16:
		return 0xffffULL;
	case VMCS_WIDTH_32:
		return 0xffffffffULL;
	default:
		return ~0ULL;
	}
}

static u64 *field_ptr(struct vmcs12 *vmcs12, const struct vmcs12_field *f)
{
	return (u64 *)((char *)vmcs12 + f->offset);
}

u64 vmcs12_read(const struct vmcs12 *vmcs12, const struct vmcs12_field *f,
		bool high)
{
	u64 val = *field_ptr((struct vmcs12 *)vmcs12, f);

	return high ? val >> 32 : val & width_mask(f->width);
}

void vmcs12_write(struct vmcs12 *vmcs12, const struct vmcs12_field *f,
		  bool high, u64 val)
{
	u64 *p = field_ptr(vmcs12, f);

	if (high)
		*p = (*p & 0xffffffffULL) | (val << 32);
	else
		*p = val & width_mask(f->width);
}

unsigned int vmcs12_max_field_index(void)
{
	unsigned int max = 0;

	for (size_t i = 0; i < ARRAY_SIZE(vmcs12_fields); i++)
		if (VMCS_ENC_INDEX(vmcs12_fields[i].encoding) > max)
			max = VMCS_ENC_INDEX(vmcs12_fields[i].encoding);
	return max;
}
