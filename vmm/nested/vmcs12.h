/* SPDX-License-Identifier: MIT */
/*
 * VMCS12: the VMCS that L1 builds for its L2, in our own layout (KVM's
 * struct vmcs12 idea). L1 sees only an opaque 4 KiB region whose first
 * dword is the revision identifier we advertise in IA32_VMX_BASIC; the
 * rest is ours. While a VMCS12 is current (VMPTRLD) L0 works on a cached
 * copy (struct nested_vmx.cached_vmcs12) and writes it back to L1's
 * memory at VMCLEAR, at a VMPTRLD of another VMCS and at VMXOFF, as a
 * CPU may keep the current VMCS in its own storage (SDM 24.11.1).
 *
 * The fields are one X-macro list, VMCS12_FIELDS(X), of (member,
 * encoding): it generates the struct's members and the table that maps an
 * encoding to its offset and width (vmcs12_field_find()). Every member is
 * a u64; VMWRITE truncates a value to the field's width, so a read gives
 * back what a CPU would. An encoding that is not in the list does not
 * exist for L1 (VMREAD/VMWRITE fail with VM-instruction error 12).
 *
 * Portable: no hardware access (tests/host/test_nested_vmx.c).
 */
#ifndef VMM_NESTED_VMCS12_H
#define VMM_NESTED_VMCS12_H

#include "kernel/compiler.h"

/* The revision identifier of our VMCS12 layout (bit 31 clear). */
#define VMCS12_REVISION		0x4d563132U	/* "21VM": ours, not Intel's */
#define VMCS12_SIZE		4096U

/* Launch state (SDM 24.1), kept in the region itself. */
#define VMCS12_LAUNCH_CLEAR	0U
#define VMCS12_LAUNCHED		1U

#define VMCS12_FIELDS(X)						\
	/* 16-bit control */						\
	X(virtual_processor_id,		0x0000)				\
	/* 16-bit guest state */					\
	X(guest_es_selector,		0x0800)				\
	X(guest_cs_selector,		0x0802)				\
	X(guest_ss_selector,		0x0804)				\
	X(guest_ds_selector,		0x0806)				\
	X(guest_fs_selector,		0x0808)				\
	X(guest_gs_selector,		0x080a)				\
	X(guest_ldtr_selector,		0x080c)				\
	X(guest_tr_selector,		0x080e)				\
	/* 16-bit host state */						\
	X(host_es_selector,		0x0c00)				\
	X(host_cs_selector,		0x0c02)				\
	X(host_ss_selector,		0x0c04)				\
	X(host_ds_selector,		0x0c06)				\
	X(host_fs_selector,		0x0c08)				\
	X(host_gs_selector,		0x0c0a)				\
	X(host_tr_selector,		0x0c0c)				\
	/* 64-bit control */						\
	X(io_bitmap_a,			0x2000)				\
	X(io_bitmap_b,			0x2002)				\
	X(msr_bitmap,			0x2004)				\
	X(vm_exit_msr_store_addr,	0x2006)				\
	X(vm_exit_msr_load_addr,	0x2008)				\
	X(vm_entry_msr_load_addr,	0x200a)				\
	X(executive_vmcs_pointer,	0x200c)				\
	X(tsc_offset,			0x2010)				\
	X(ept_pointer,			0x201a)				\
	/* 64-bit read-only data */					\
	X(guest_physical_address,	0x2400)				\
	/* 64-bit guest state */					\
	X(vmcs_link_pointer,		0x2800)				\
	X(guest_ia32_debugctl,		0x2802)				\
	X(guest_ia32_pat,		0x2804)				\
	X(guest_ia32_efer,		0x2806)				\
	X(guest_pdptr0,			0x280a)				\
	X(guest_pdptr1,			0x280c)				\
	X(guest_pdptr2,			0x280e)				\
	X(guest_pdptr3,			0x2810)				\
	/* 64-bit host state */						\
	X(host_ia32_pat,		0x2c00)				\
	X(host_ia32_efer,		0x2c02)				\
	/* 32-bit control */						\
	X(pin_based_vm_exec_control,	0x4000)				\
	X(cpu_based_vm_exec_control,	0x4002)				\
	X(exception_bitmap,		0x4004)				\
	X(page_fault_error_code_mask,	0x4006)				\
	X(page_fault_error_code_match,	0x4008)				\
	X(cr3_target_count,		0x400a)				\
	X(vm_exit_controls,		0x400c)				\
	X(vm_exit_msr_store_count,	0x400e)				\
	X(vm_exit_msr_load_count,	0x4010)				\
	X(vm_entry_controls,		0x4012)				\
	X(vm_entry_msr_load_count,	0x4014)				\
	X(vm_entry_intr_info_field,	0x4016)				\
	X(vm_entry_exception_error_code, 0x4018)			\
	X(vm_entry_instruction_len,	0x401a)				\
	X(tpr_threshold,		0x401c)				\
	X(secondary_vm_exec_control,	0x401e)				\
	X(ple_gap,			0x4020)				\
	X(ple_window,			0x4022)				\
	/* 32-bit read-only data */					\
	X(vm_instruction_error,		0x4400)				\
	X(vm_exit_reason,		0x4402)				\
	X(vm_exit_intr_info,		0x4404)				\
	X(vm_exit_intr_error_code,	0x4406)				\
	X(idt_vectoring_info_field,	0x4408)				\
	X(idt_vectoring_error_code,	0x440a)				\
	X(vm_exit_instruction_len,	0x440c)				\
	X(vmx_instruction_info,		0x440e)				\
	/* 32-bit guest state */					\
	X(guest_es_limit,		0x4800)				\
	X(guest_cs_limit,		0x4802)				\
	X(guest_ss_limit,		0x4804)				\
	X(guest_ds_limit,		0x4806)				\
	X(guest_fs_limit,		0x4808)				\
	X(guest_gs_limit,		0x480a)				\
	X(guest_ldtr_limit,		0x480c)				\
	X(guest_tr_limit,		0x480e)				\
	X(guest_gdtr_limit,		0x4810)				\
	X(guest_idtr_limit,		0x4812)				\
	X(guest_es_ar_bytes,		0x4814)				\
	X(guest_cs_ar_bytes,		0x4816)				\
	X(guest_ss_ar_bytes,		0x4818)				\
	X(guest_ds_ar_bytes,		0x481a)				\
	X(guest_fs_ar_bytes,		0x481c)				\
	X(guest_gs_ar_bytes,		0x481e)				\
	X(guest_ldtr_ar_bytes,		0x4820)				\
	X(guest_tr_ar_bytes,		0x4822)				\
	X(guest_interruptibility_info,	0x4824)				\
	X(guest_activity_state,		0x4826)				\
	X(guest_smbase,			0x4828)				\
	X(guest_sysenter_cs,		0x482a)				\
	/* 32-bit host state */						\
	X(host_ia32_sysenter_cs,	0x4c00)				\
	/* natural-width control */					\
	X(cr0_guest_host_mask,		0x6000)				\
	X(cr4_guest_host_mask,		0x6002)				\
	X(cr0_read_shadow,		0x6004)				\
	X(cr4_read_shadow,		0x6006)				\
	X(cr3_target_value0,		0x6008)				\
	X(cr3_target_value1,		0x600a)				\
	X(cr3_target_value2,		0x600c)				\
	X(cr3_target_value3,		0x600e)				\
	/* natural-width read-only data */				\
	X(exit_qualification,		0x6400)				\
	X(io_rcx,			0x6402)				\
	X(io_rsi,			0x6404)				\
	X(io_rdi,			0x6406)				\
	X(io_rip,			0x6408)				\
	X(guest_linear_address,		0x640a)				\
	/* natural-width guest state */					\
	X(guest_cr0,			0x6800)				\
	X(guest_cr3,			0x6802)				\
	X(guest_cr4,			0x6804)				\
	X(guest_es_base,		0x6806)				\
	X(guest_cs_base,		0x6808)				\
	X(guest_ss_base,		0x680a)				\
	X(guest_ds_base,		0x680c)				\
	X(guest_fs_base,		0x680e)				\
	X(guest_gs_base,		0x6810)				\
	X(guest_ldtr_base,		0x6812)				\
	X(guest_tr_base,		0x6814)				\
	X(guest_gdtr_base,		0x6816)				\
	X(guest_idtr_base,		0x6818)				\
	X(guest_dr7,			0x681a)				\
	X(guest_rsp,			0x681c)				\
	X(guest_rip,			0x681e)				\
	X(guest_rflags,			0x6820)				\
	X(guest_pending_dbg_exceptions,	0x6822)				\
	X(guest_sysenter_esp,		0x6824)				\
	X(guest_sysenter_eip,		0x6826)				\
	/* natural-width host state */					\
	X(host_cr0,			0x6c00)				\
	X(host_cr3,			0x6c02)				\
	X(host_cr4,			0x6c04)				\
	X(host_fs_base,			0x6c06)				\
	X(host_gs_base,			0x6c08)				\
	X(host_tr_base,			0x6c0a)				\
	X(host_gdtr_base,		0x6c0c)				\
	X(host_idtr_base,		0x6c0e)				\
	X(host_ia32_sysenter_esp,	0x6c10)				\
	X(host_ia32_sysenter_eip,	0x6c12)				\
	X(host_rsp,			0x6c14)				\
	X(host_rip,			0x6c16)

/*
 * The region as it lies in L1's memory: the architectural header (the
 * revision identifier and the VMX-abort indicator, SDM 24.2), our launch
 * state, then the fields.
 */
struct vmcs12 {
	u32 revision_id;
	u32 abort;
	u32 launch_state;
	u32 reserved;
#define VMCS12_MEMBER(member, enc) u64 member;
	VMCS12_FIELDS(VMCS12_MEMBER)
#undef VMCS12_MEMBER
};

BUILD_BUG_ON(sizeof(struct vmcs12) > VMCS12_SIZE);

/* Encoding bits (SDM appendix B). */
#define VMCS_ENC_HIGH		BIT(0)		/* high half of a 64-bit field */
#define VMCS_ENC_INDEX(e)	(((e) >> 1) & 0x1ff)
#define VMCS_ENC_TYPE(e)	(((e) >> 10) & 3)	/* 1: exit information */
#define VMCS_ENC_WIDTH(e)	(((e) >> 13) & 3)
#define VMCS_ENC_TYPE_RO	1
enum { VMCS_WIDTH_16, VMCS_WIDTH_64, VMCS_WIDTH_32, VMCS_WIDTH_NATURAL };

/* Where a field lives in struct vmcs12 and how L1 may access it. */
struct vmcs12_field {
	u32 encoding;		/* the full (not high) encoding */
	u16 offset;		/* of its u64 in struct vmcs12 */
	u8 width;		/* VMCS_WIDTH_* */
	bool read_only;		/* VM-exit information: VMWRITE fails (13) */
};

/*
 * The field that @encoding (VMREAD/VMWRITE's register operand, all 64
 * bits of it) names, or NULL when there is none. *@high is set for the
 * high-half access of a 64-bit field (encoding bit 0).
 */
const struct vmcs12_field *vmcs12_field_find(u64 encoding, bool *high);

/*
 * VMREAD's value of field @f (@high: bits 63:32 of a 64-bit field), and
 * VMWRITE's store of @val into it (truncated to its width; a high-half
 * write replaces bits 63:32 with @val's low 32 bits).
 */
u64 vmcs12_read(const struct vmcs12 *vmcs12, const struct vmcs12_field *f,
		bool high);
void vmcs12_write(struct vmcs12 *vmcs12, const struct vmcs12_field *f,
		  bool high, u64 val);

/* The highest field index in the list (IA32_VMX_VMCS_ENUM bits 9:1). */
unsigned int vmcs12_max_field_index(void);

#endif
