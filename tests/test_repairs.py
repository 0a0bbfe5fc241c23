"""repairs.py: each row rule on a real corpus row, quoted verbatim (file:line from
/work/shared/corpus, the gatieme/LDD-LinuxDeviceDrivers snapshot STATS.md measures),
and the order the scanner applies them in."""

# ruff: noqa: E501  (corpus rows are quoted verbatim, on one line)

from __future__ import annotations

from itertools import accumulate

import pytest

from patchcrawl.models import CellRole, Document
from patchcrawl.repairs import MENDS, REPAIRS, RowDraft, RowRule, read_row
from patchcrawl.rows import CANONICAL6, split_cells
from patchcrawl.tables import scan_bytes
from tests.scan_helpers import check_positions

# the headers, as the corpus writes them
HEADER6 = "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
HEADER6_DEBUG = "| 时间 | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n|:---:|:----:|:---:|:----:|:---------:|:----:|\n"
HEADER5 = (
    "| 时间  | 特性 | 描述 | 是否合入主线 | 链接 |\n|:----:|:----:|:---:|:----------:|:---:|\n"
)
PAPERS = "| 论文 | 描述 |\n|:---:|:----:|\n"  # SCHEDULER.md:7085, no feature table
ROLES6: tuple[CellRole, ...] = CANONICAL6
ROLES5: tuple[CellRole, ...] = ("date", "feature", "description", "status", "links")
OTHER2: tuple[CellRole, ...] = ("other", "other")

# the rows; paths under study/kernel/00-DESCRIPTION/ unless written in full

# MEMORY_MANAGER.md:246
MM_246 = "| 2019/08/07 | Steve Capper <steve.capper@arm.com> | [arm64/mm: Enable FEAT_LPA2 (52 bits PA support on 4K|16K pages)](https://lwn.net/Articles/849538) | arm64 使能 FEAT_LPA2.<br>4K/16K PAGE_SIZE 下支持 52 bit PA. | RFC,V2 ☐ 5.14 | [PatchWork v5 52-bit userspace VAs](https://patchwork.kernel.org/project/linux-arm-kernel/cover/20181206225042.11548-1-steve.capper@arm.com)<br>*-*-*-*-*-*-*-* <br>[PatchWork RFC,V2,00/10](https://patchwork.kernel.org/project/linux-mm/cover/1627281445-12445-1-git-send-email-anshuman.khandual@arm.com) |"
# SCHEDULER.md:7506
SCHED_7506 = "| 2019/06/04 | Qais Yousef <qais.yousef@arm.com> | [sched: Add new tracepoints required for EAS testing](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/log/?id=a056a5bed7fa67706574b00cf1122c38596b2be1) | 增加 PELT 的跟踪点.<br> 新引入了 ```trace_pelt_{cfs|rt|dl|irq}_tp``` 等 tracepoint 点跟踪 RQ 的负载信息, 以及 `trace_pelt_se_tp` 等 sched_entity 级别的负载跟踪点, 还提供了 `trace_sched_overutilized_tp` 记录 RQ 和 SD 的 overutilized 状态. 主要是为了跟踪 PELT 的内容, 这是 EAS 做出决策时使用的信息. 了解 PELT 的变化, LISA 可以根据模拟不同场景的综合测试来验证 EAS 是否在做正确的事情. 除了 EAS 之外, 新的 tracepoint 点还可以帮助研究 CFS 负载均衡器和 CFS 任务组处理. | v2 ☑ 5.3-rc1 | [LORE v3,0/6](https://lore.kernel.org/lkml/1598605249-72651-1-git-send-email-vincent.donnefort@arm.com) |"
# distro/OpenAnolis/README.md:1529-1530
ANOLIS_1529 = (
    "| 2021/01/15 | Yi Tao <escape@linux.alibaba.com> | [add CONFIG_CGROUP_CACHE](https://github.com/gatieme/linux/commit/021d0414e9c5c593431b6b448a73b465a0e9662b) | 自研特性, 加速 cgroup 的创建, 目前已经支持 memcg, cpu, cpuacct 等子 subsysten, 同时接管 cgroup kernfs node 的创建.\n",
    " | 自研 NA | [COMMIT](https://github.com/gatieme/linux/commit/021d0414e9c5c593431b6b448a73b465a0e9662b) |\n",
)
# BPF.md:456-457
BPF_456 = (
    "| 2021/08/30 | Kumar Kartikeya Dwivedi <memxor@gmail.com> | [Support kernel module function calls from eBPF](https://patchwork.kernel.org/project/netdevbpf/cover/20210830173424.1385796-1-memxor@gmail.com) | 这组补丁允许 BPF 程序调用内核模块的函数, 并修改验证器逻辑以允许无效的内核函数调用, 只要它们作为死代码消除的一部分被修剪. 这样做是为了为 BPF 对象提供更好的运行时可移植性, 它可以有条件地禁用稍后被验证器修剪的部分代码 (例如 const volatile vars, kconfig 选项). libbpf 的修改与内核的修改一起进行, 以支持模块函数调用.\n",
    "它还将 TCP 拥塞控制对象转换为使用模块 kfunc 支持, 而不是依赖于 IS_BUILTIN ifdef. | v1 ☐ | [PatchWork bpf-next,RFC,v1,0/8](https://patchwork.kernel.org/project/netdevbpf/cover/20210830173424.1385796-1-memxor@gmail.com) |\n",
)
# SCHEDULER.md:7287
SCHED_7287 = "| 2025/02/04 | Changwoo Min <changwoo@igalia.com> | [sched_ext: Implement core event counters]https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/log/?id=2494e555fbaadf1b02eb89f3bee0cec95516f6c2) | TODO | v4 ☐☑✓ | [2025/01/26, LORE v2,0/11](https://lore.kernel.org/all/20250126101614.232388-1-changwoo@igalia.com)<br>*-*-*-*-*-*-*-* <br>[2025/02/04, LORE v4,0/7](https://lore.kernel.org/all/20250204052057.67776-1-changwoo@igalia.com) |"
# DEBUGGING.md:597
DEBUG_597 = " |"
# SCHEDULER.md:7087
SCHED_7087 = "| [Rhodes: A Next-Generation OS based on Resource Governance Model](https://www.techrxiv.org/articles/preprint/Next_Generation_Operating_System_based_on_Resource_Governance_Model/21371505/5) | 本文提出 Rhodes, 基于资源治理模型, 解耦资源和规则, 构建统一资源治理中心, 支持规则动态修改和扩展, 使资源的组织有序、灵活、可扩展, 非常像大号的 Google ghost:<br>(1) Governance Center: 管理和维护软硬件资源规则. 支持静态规则发现、动态规则发现. 通过规则和资源的分离, 它确保了 GC 规则的可扩展性和灵活性.<br>(2) Agent Process: Agent 进程与资源进程绑定, 资源间的通信被转化为代理间的通信, 允许开发者使用跨语言协议.<br>(3) Static rule discovery: 通过发布 - 订阅模型, 代理可以监听存储在治理中心中的静态规则的变化. 规则变更时, GC 实时推送新规则到代理.<br>(4) Dynamic rule discovery: 允许用户自定义资源之间的通信策略. 参见 [【欧拉多咖 | OS 每周快讯】2022.12.06~2022.12.12](https://www.chaspark.com/#/hotspots/821172234535870464) |"
# SCHEDULER.md:4018
SCHED_4018 = "wojiush| 2023/03/27 | Aaron Lu <aaron.lu@intel.com> | [sched/fair: Make tg->load_avg per node](https://lore.kernel.org/all/20230327053955.GA570404@ziqianlu-desk2) | 使用 sysbench 在一个 docker 实例中对 Postgres 进行基准测试, 并将 sysbench 的 nr_threads 设置为 nr_cpu 时, 可以观察到 update_cfs_group() 和 update_load_avg() 在一个 2sockets/112core/224cpu 的 Intel Sapphire Rapids 节点上显示了明显的 cpu 开销 (10% 和 7.8%), 而在另一个节点的 cpu 的热点通常较低 (4% 和 3%). 分析发现热点主要是访问 tg->load_avg, 其中 update_load_avg() 是写端, update_cfs_group() 是读端.<br> 为什么只有一个节点的 CPU 有更大的开销, 原因是: task_group 是根据需要从 slab 分配的, 无论哪个 CPU 进行分配, 分配的 tg 将位于该节点上, 访问 tg->load_avg 将对同一节点上的 CPU 有更低的成本, 而对远程节点的 CPU 有更高的成本.<br>Tim Chen 告诉我, PeterZ 曾经提到过一种解决类似问题的方法, 即为每个节点设置一个计数器, 所以对 tg->load_avg 也做同样的事情.<br> 优化后, 这两个节点上运行 5 分钟所看到的最坏的情况占比也才 2%.<br> 针对这个工作负载有另外一个发现: 这个工作负载存在有很多唤醒时的任务迁移, 这就是为什么 update_load_avg() 和 update_cfs_group() 显示出明显的成本. 在 N 个实例中运行这个工作负载, 其中 N >= 2, sysbench 的 nr_threads 设置为 1/N nr_cpu, 在唤醒时间上的任务迁移大大减少, 上面提到的两个函数的开销也下降了很多. | v1 ☐☑✓ | [LORE](https://lore.kernel.org/all/20230327053955.GA570404@ziqianlu-desk2) |"
# study/problem/issue/3-numa_dismeter/0002-README.md:369
NUMA_369 = "| 2021/01/22 | Valentin Schneider | [sched/topology: NUMA distance deduplication](https://lore.kernel.org/patchwork/cover/1369363) | 修复 | v1 | [PatchWork](https://lore.kernel.org/patchwork/cover/1369363), [LKML](https://lkml.org/lkml/2021/1/22/460) |2021/01/15 "
# SCHEDULER.md:4420
SCHED_4420 = "| 2017/01/19 | Peter Zijlstra | [sched/core: Optimize pick_next_task() for idle_sched_class](https://lkml.org/lkml/2017/1/19/687) | NA | | v1 ☑ 4.11-rc1 | [PatchWork](https://lore.kernel.org/patchwork/patch/755854), [LKML](https://lkml.org/lkml/2017/1/19/687), [commit](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=49ee576809d837442624ac18804b07943267cd57) |"
# SCHEDULER.md:3665
SCHED_3665 = "| 2011/04/05 | Peter Zijlstra <a.p.zijlstra@chello.nl> | [sched: Reduce runqueue lock contention -v6](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/log/?id=bd8e7dded88a3e1c085c333f19ff31387616f71a) | 缩短整个调度路径下 rq->lock 的持有范围, 减少对 rq->lock 锁的竞争. 引入了 task_struct->on_cpu 以及 task_struct->on_rq 标记进程的 RUNNING 以及 RUNNABLE 状态. | v6 ☑✓ 3.0-rc1 | [LORE v6,0/21](https://lore.kernel.org/all/20110405152338.692966333@chello.nl) |"
# DEBUGGING.md:596
DEBUG_596 = "| 2021/07/20 | kan.liang@linux.intel.com <kan.liang@linux.intel.com> | [perf: Save PMU specific data in task_struct](https://lore.kernel.org/all/1626788420-121610-1-git-send-email-kan.liang@linux.intel.com) | 某些特定于 PMU 的数据必须在上下文切换期间保存 / 恢复, 例如 LBR 调用堆栈数据. 目前, 数据保存在事件上下文结构中, 但仅针对每个流程的事件. 对于系统范围的事件, 由于上下文切换后缺少 LBR 调用堆栈数据, 与按进程模式相比, LBR 调用栈总是更短. | v6 ☐☑✓ | [LORE v2,1/2](https://lore.kernel.org/lkml/20230301181449.14647-1-wyes.karny@amd.com/)<br>*-*-*-*-*-*-*-* <br>[LORE v6,0/6](https://lore.kernel.org/all/1626788420-121610-1-git-send-email-kan.liang@linux.intel.com)|<br>*-*-*-*-*-*-*-* <br>[2025/03/14, LORE v10,0/7](https://lore.kernel.org/all/20250314172700.438923-1-kan.liang@linux.intel.com) |"
# DEBUGGING.md:127
DEBUG_127 = "| 2017/06/29 | Michael Ellerman <mpe@ellerman.id.au> | [Provide linux/set_memory.h](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=d2852a2240509e512712e25de2d0796cda435ecb) | 引入 CONFIG_ARCH_HAS_SET_MEMORY 封装了 set_memory{ro|rw|x|nx} | v1 ☑ 4.11-rc1 | [commit](https://lore.kernel.org/all/1498717781-29151-1-git-send-email-mpe@ellerman.id.au) |"
# DEBUGGING.md:113
DEBUG_113 = "| 2007/10/24 | Randy Dunlap <rdunlap@xenotime.net> | x86: unification of i386 and x86_64 Kconfig.debug | 将 i386 和 x86_64 的 CONFIG 和实现统一 | [commit](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=d013a27cb79a01b324f93adb275162c244cca2de) |"
# study/kernel/01-process/05-schedule/07-cfs/09-pelt/README.md:901
PELT_901 = "| 2019/01/16 | [sched/fair: update scale invariance of PELT](https://lore.kernel.org/patchwork/cover/1034952) | v9 ☑  5.1-rc1 | [v3](https://lore.kernel.org/patchwork/patch/784059)<br>*-*-*-*-*-*-*-*<br> [v9](https://lore.kernel.org/patchwork/cover/1034952) |"
# DEBUGGING.md:1340
DEBUG_1340 = '几乎每一个 Linux 内核周期都会引入新的补丁, 这些补丁通常会提升内核支持的 Rust 语言版本, 以便达到一个合适的最低版本要求. Miguel Ojeda 发布的这组组补丁, 旨在使 Rust 内核代码能够支持多个版本的 Rust 编译器("rustc"), 然后只需要指定一个安全的最低 Rust 版本要求. 参见 [The Linux Kernel Matures To Having A Minimum Rust Toolchain Version](https://www.phoronix.com/news/Linux-Patches-Multiple-Rust-Ver). | v1 ☐☑✓ | [LORE v1,0/13](https://lore.kernel.org/all/20240701183625.665574-1-ojeda@kernel.org) |'
# SCHEDULER.md:3941
SCHED_3941 = "| 2017/12/18 | Mel Gorman | [Reduce scheduler migrations due to wake_affine](https://lore.kernel.org/patchwork/cover/864391) | 优化 wake_affine 减少迁移次数 | | [PatchWork](https://lore.kernel.org/patchwork/cover/864391) |"
# MEMORY_MANAGER.md:389
MM_389 = '| 2024/05/06 | Baolin Wang <baolin.wang@linux.alibaba.com> | [add mTHP support for anonymous shmem](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/log/?id=66f44583f9b617d74ffa2487e75a9c3adf344ddb) | 这个补丁集的目标是为匿名共享内存 (shmem) 添加多尺寸透明巨大页 (mTHP) 的支持. Baolin Wang 提出, 根据两周一次的 MM 会议讨论, mTHP 控制应该覆盖所有的共享内存(shmem), 不仅仅是匿名共享内存. 虽然补丁集将逐步添加支持, 但首先从支持匿名共享内存开始.<br>背景: Baolin Wang 指出, 匿名页面已经可以通过 [commit 19eaf44954df ("mm: thp: support allocation of anonymous multi-size THP")](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=19eaf44954df64f9bc8dec398219e15ad0811497) 支持多尺寸透明巨大页 (mTHP) 分配, 这允许用户通过位于 `/sys/kernel/mm/transparent_hugepage/hugepage-XXkb/enabled` 的 sysfs 接口来配置透明巨大页(THP). 然而, 匿名共享内存 (shmem) 会忽略通过 sysfs 接口配置的匿名 mTHP 规则, 并且只能使用 PMD 映射的 THP. Baolin Wang 强调这种行为并不合理, 因为许多应用程序 (尤其是在数据库使用场景中) 通过 mmap(MAP_SHARED | MAP_ANONYMOUS) 实现匿名页面共享, 因此用户期望对所有匿名页面应用统一的 mTHP 策略, 包括匿名共享页面, 以享受 mTHP 的好处, 例如更低的延迟、更小的内存膨胀以及在 ARM 架构上减少 TLB 缺失等.<br>策略: <br>1. 该补丁集引入了一个新的 sysfs 接口 `/sys/kernel/mm/transparent_hugepage/hugepage-XXkb/shmem_enabled`, 它几乎与顶级的 `/sys/kernel/mm/transparent_hugepage/shmem_enabled` 具有相同的值, 增加了 "inherit" 选项并去掉了测试选项 "force" 和 "deny". 默认情况下, 所有大小都将设置为 "never", 除了 PMD 大小, 这将设置为 "inherit". 这样可以确保与现有的匿名共享内存启用设置的向后兼容性.<br>2. 修改了匿名共享内存的分配逻辑, 以便支持多尺寸透明巨大页.<br>3. 添加了针对匿名共享内存的 mTHP 计数器. | v1 ☐☑✓ v6.11-rc1 | [LORE v1,0/8](https://lore.kernel.org/all/cover.1714978902.git.baolin.wang@linux.alibaba.com)<br>*-*-*-*-*-*-*-* <br>[2024/06/11, LORE v5, 0/6](https://lore.kernel.org/all/cover.1718090413.git.baolin.wang@linux.alibaba.com) |'


def draft(header: str, roles: tuple[CellRole, ...], *rows: str) -> RowDraft:
    """``read_row`` on the first row under ``header``, as the scanner calls it."""
    text = header + "".join(r if r.endswith("\n") else r + "\n" for r in rows)
    lines = text.split("\n")[:-1]
    cstart = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    return read_row(text, lines, cstart, 2, len(lines), roles)


# MEMORY_MANAGER.md: rows whose stray '|' is not in the links cell
MM_SHIFTED = {
    1391: "| 2007/09/10 | Mel Gorman <mel@csn.ul.ie> | [Drain per-cpu lists when high-order allocations fail](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=e2c55dc87f4a398b9c4dcc702dbc23a07fe14e23) | [Reduce external fragmentation by grouping pages by mobility v30](https://lore.kernel.org/patchwork/patch/75208) | 基于页面可移动性的页面聚类来抗 (外部) 碎片化的其中一个补丁. 尝试直接分配非 order-0 的页面失败, 在慢速路径上直接回收之后, 尝试通过 drain_all_local_pages() 回收所有 PCP 的内存. | v30 ☑ 2.6.24-rc1 | [Patchwork v30,0/13](https://lore.kernel.org/lkml/20070910112011.3097.8438.sendpatchset@skynet.skynet.ie), [关注 COMMIT](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=e2c55dc87f4a398b9c4dcc702dbc23a07fe14e23) |",
    1537: '| 2014/10/02 | Vlastimil Babka <vbabka@suse.cz> | [Single zone pcpclists drain](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=c05543293e0bf586842844c14fd8c598f494a107) | 支持单个 zone 的 pcplist Draining. 在很多情况下, 只 drain 一个 zone 的 pcplist 就足够了, drain 掉所有 zone 的 pcplist 是浪费, 然后会导致更多的 pcplist 重新填充.<br> [COMMIT1] 为 drain_local_pages() 和 drain_all_pages() 引入了 "struct zone *" 参数, 传入 NULL 值意味着所有 zone 都像往常一样被 drain. 剩余的补丁在适当的地方将现有的调用者转换为单一 zone Draining 的操作. 注意内存规整上单个 zone 的 pcplist Draining, 将在下一个补丁集 [Further compaction tuning](https://lore.kernel.org/all/1412696019-21761-1-git-send-email-vbabka@suse.cz) | 1412696019-21761-1-git-send-email-vbabka@suse.cz) 提供. | v1 ☑✓ 3.19-rc1 | [LORE v1,0/4](https://lore.kernel.org/all/1412264940-15738-1-git-send-email-vbabka@suse.cz) |',
    2054: "| 2016/11/18 | Christoph Hellwig <hch@lst.de> | [`Reduce latency in __purge_vmap_area_lazy V2`](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/log/?id=763b218ddfaf56761c19923beb7e16656f66ec62) | 1479474236-4139-11-git-send-email-hch@lst.de) | `__purge_vmap_area_lazy()` 中需要持有 vmap_area_lock, 这组补丁通过使用 cond_resched_lock() 避免持有 vmap_area_lock 时间过长. | v1 ☑✓ 4.10-rc1 | [LKML RFC](https://lkml.org/lkml/2016/10/18/47)br>*-*-*-*-*-*-*-* <br>[LORE v2,00/10](https://lore.kernel.org/all/1479474236-4139-1-git-send-email-hch@lst.de) |",
    2326: "| 2012/03/19 | Konstantin Khlebnikov <khlebnikov@openvz.org> | [mm: forbid lumpy-reclaim in shrink_active_list()](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=1480de0340a8d5f094b74d7c4b902456c9a06903) | 将 shrink_active_list () 的回收模式重置为 RECLAIM_MODE_SINGLE | RECLAIM_MODE_ASYNC. 其中 SYNC/ASYNC 只在 shrink_page_list() 中使用, 不影响 shrink_active_list().<br> 当前 shrink_active_list() 有时工作在成块回收 RECLAIM_MODE_LUMPYRECLAIM 模式, 然后会在 age_active_anon() 中重置回收模式 sc->reclaim_mode. 整体行为和逻辑过于复杂和混乱, 通常, shrink_active_list() 为下一次 shrink_inactive_list() 填充 inactive 列表.  Lumpy Reclaim 时 shring_inactive_list() 将所选页面周围的页面从活动列表和非活动列表中分离出来. 因此, 没必要在 shrink_active_list() 中进行块状隔离. 参见 [LKML](https://lkml.org/lkml/2012/3/15/583). | v1 ☑✓ 3.4-rc1 | [LORE](https://lore.kernel.org/all/20120319091821.17716.54031.stgit@zurg) |",
    5195: "| 2022/10/19 | 黄杰 <huangjie.albert@bytedance.com> | [mm: hugetlb: support for shared memory policy](https://patchwork.kernel.org/project/linux-mm/patch/20221019092928.44146-1-huangjie.albert@bytedance.com/) | 为 hugetlb_vm_ops 实现 get/set_policy() 确保所有共享这个大页面文件的进程的 mempolicy 一致.<br> 在一些共享巨大页面的场景中: 如果我们需要限制 node0 内 vm 的内存使用, 那么我将 qemu 的 mempilciy 绑定设置为 node0, 但如果有一个进程 (如 virtiofsd) 与 vm 共享内存, 在这种情况下. 如果页面错误是由 virtiofsd 触发的, 分配的内存可能会到 node1, 而 node1 取决于 virtiofsd. 虽然我们可以使用 qemu 提供的内存预分配来避免这个问题, 但这种方法将显著增加 vm 的创建时间 (几秒钟, 取决于内存大小). 在我们连接 hugetlb_vm_ops(set/get_policy) 之后: 由 shmget() 创建的带有 SHM_HUGETLB 标志的共享内存段和 mmap(MAP_SHARED|MAP_HUGETLB) 也支持共享策略. | v2 ☐☑ | [LORE](https://lore.kernel.org/all/20221012081526.73067-1-huangjie.albert@bytedance.com)<br>*-*-*-*-*-*-*-* <br>[LORE v2](https://lore.kernel.org/all/20221019092928.44146-1-huangjie.albert@bytedance.com) |",
}


def scan(header: str, *rows: str) -> Document:
    doc = scan_bytes(
        "doc.md", (header + "".join(r if r.endswith("\n") else r + "\n" for r in rows)).encode()
    )
    check_positions(doc)
    return doc


def messages(doc: Document) -> list[str]:
    return [f.message for f in doc.findings if f.code == "malformed-row"]


# ---- the table ------------------------------------------------------------


def test_rules_run_in_the_documented_order() -> None:
    assert [r.name for r in MENDS] == [
        "pipe-in-link-text-or-code",
        "row-wrapped-over-lines",
        "link-without-parenthesis",
    ]
    assert [r.name for r in REPAIRS] == [
        "line-of-only-pipes",
        "pipe-in-link-text-or-code-counted",
        "text-before-first-pipe",
        "text-after-last-pipe",
        "six-cells-under-five-columns",
        "extra-empty-cell",
        "stray-pipe-in-links-cell",
        "pipe-in-description",
        "missing-cells-by-content",
    ]


def test_every_rule_is_named_once_and_says_which_corpus_rows_need_it() -> None:
    rules = [*MENDS, *REPAIRS]
    assert len({r.name for r in rules}) == len(rules)
    for rule in rules:
        assert rule.fix.__doc__ is not None and "Corpus:" in rule.fix.__doc__, rule.name


def test_a_rule_applies_to_its_tables_and_cell_counts_only() -> None:
    seen: list[str] = []
    rule = RowRule("probe", lambda d: seen.append("x"), "feature", "more")
    d = draft(HEADER6, ROLES6, "| 2020/01/01 | a | b | c | d | e | f |")
    d.spans = split_cells(d.text, d.start, d.stop)  # as read, before the rules
    assert len(d.spans) == 7 and rule.applies(d)
    d.spans = d.spans[:6]
    assert not rule.applies(d)  # the header's count
    other = draft(PAPERS, OTHER2, "| a | b | c |")
    assert not rule.applies(other)  # not a feature table
    assert RowRule("any", rule.fix, "any", "more").applies(other)
    assert not RowRule("any", rule.fix, "any", "fewer").applies(other)
    assert seen == []


def test_a_well_formed_row_meets_no_rule() -> None:
    d = draft(HEADER6, ROLES6, DEBUG_596.replace(")|<br>", ")<br>"))
    assert d.fired == [] and d.notes == [] and d.well_formed and d.roles == ROLES6


def test_a_row_no_repair_settles_keeps_the_cells_the_mends_left() -> None:
    # extra-empty-cell drops the empty cell, but no later rule can read the 8 left:
    # the row is read as GitHub splits it (9 cells), and reported as unreadable
    row = "| 2020/01/01 | a | | b | c | d | e | f | [l](https://lwn.net/Articles/1/) |"
    d = draft(HEADER6, ROLES6, row)
    assert d.roles is None and len(d.spans) == 9 and d.notes == [] and d.fired == []
    doc = scan(HEADER6, row)
    assert len(doc.rows[0].cells) == 9
    assert messages(doc) == [
        "row has 9 cells, the header has 6: cannot tell which cell is which, so its claims are not checked"
    ]


# ---- mends ----------------------------------------------------------------


def test_pipe_in_link_text() -> None:
    """MEMORY_MANAGER.md:246: ``(52 bits PA support on 4K|16K pages)`` in the title."""
    d = draft(HEADER6, ROLES6, MM_246)
    assert d.fired == ["pipe-in-link-text-or-code"] and d.roles == ROLES6 and not d.well_formed
    assert d.cells()[2].startswith(
        "[arm64/mm: Enable FEAT_LPA2 (52 bits PA support on 4K|16K pages)]("
    )
    assert d.notes == [
        "a '|' inside a code span or link text splits a cell on GitHub (7 cells there); read as 6 cells"
    ]
    (row,) = scan(HEADER6, MM_246).rows
    assert row.claims.title == "arm64/mm: Enable FEAT_LPA2 (52 bits PA support on 4K|16K pages)"


def test_pipe_in_code_span() -> None:
    """SCHEDULER.md:7506: ``trace_pelt_{cfs|rt|dl|irq}_tp`` in backticks in the description."""
    d = draft(HEADER6, ROLES6, SCHED_7506)
    assert d.fired == ["pipe-in-link-text-or-code"] and d.roles == ROLES6
    assert "`trace_pelt_{cfs|rt|dl|irq}_tp`" in d.cells()[3]
    assert d.notes[0].endswith("(9 cells there); read as 6 cells")


def test_row_wrapped_with_a_leading_pipe() -> None:
    """distro/OpenAnolis/README.md:1529-1530: the second half starts `` | 自研 NA |``."""
    d = draft(HEADER6, ROLES6, *ANOLIS_1529)
    assert d.fired == ["row-wrapped-over-lines"] and (d.k, d.last) == (2, 3)
    assert d.cells()[4:] == [
        "自研 NA",
        "[COMMIT](https://github.com/gatieme/linux/commit/021d0414e9c5c593431b6b448a73b465a0e9662b)",
    ]
    assert d.notes == ["row broken over lines 3-4: GitHub shows it as 2 rows; read as one"]


def test_row_wrapped_without_a_leading_pipe() -> None:
    """BPF.md:456-457: the description goes on on a line of its own."""
    d = draft(HEADER6, ROLES6, *BPF_456)
    assert d.fired == ["row-wrapped-over-lines"] and d.last == 3 and d.roles == ROLES6
    assert d.cells()[4] == "v1 ☐"
    (row,) = scan(HEADER6, *BPF_456).rows
    assert (row.line, row.end_line) == (3, 4)


def test_a_dated_row_after_a_short_one_is_the_next_row_not_its_end() -> None:
    short = "| 2021/01/15 | Yi Tao | [t](https://github.com/x/linux/commit/021d) | d"
    d = draft(
        HEADER6, ROLES6, short, "| 2021/01/16 | a | [t](https://lwn.net/Articles/1/) | d | v1 |"
    )
    assert "row-wrapped-over-lines" not in d.fired and d.last == 2


def test_link_without_parenthesis() -> None:
    """SCHEDULER.md:7287: ``[sched_ext: Implement core event counters]https://...)``."""
    d = draft(HEADER6, ROLES6, SCHED_7287)
    assert d.fired == ["link-without-parenthesis"] and d.roles == ROLES6
    assert d.notes == [
        "a link written '[sched_ext: Implement core event counters]https://'... has no '(' after "
        "its ']': GitHub shows text, not a link; its text is not read as a claim"
    ]
    (row,) = scan(HEADER6, SCHED_7287).rows
    assert row.claims.title is None and not row.well_formed


# ---- repairs --------------------------------------------------------------


def test_line_of_only_pipes() -> None:
    """DEBUGGING.md:597: `` |`` on a line of its own after a row."""
    d = draft(HEADER6_DEBUG, ROLES6, DEBUG_597)
    assert d.fired == ["line-of-only-pipes"] and d.roles is None
    assert d.dropped == "a line holding only '|' inside a table: ignored"
    doc = scan(HEADER6_DEBUG, DEBUG_597)
    assert doc.rows == () and messages(doc) == [d.dropped] and doc.findings[0].row_line is None
    assert draft(PAPERS, OTHER2, DEBUG_597).dropped == d.dropped  # in any table


def test_pipe_in_link_text_counted_in_another_table() -> None:
    """SCHEDULER.md:7087: ``| 论文 | 描述 |``, a pipe in a link text of the description."""
    d = draft(PAPERS, OTHER2, SCHED_7087)
    assert d.fired == ["pipe-in-link-text-or-code-counted"] and d.roles == OTHER2
    assert len(d.spans) == 2
    doc = scan(PAPERS, SCHED_7087)
    assert doc.findings == () and len(doc.rows[0].cells) == 2  # no finding in another table


def test_pipe_in_link_text_the_mends_quick_test_passes_over() -> None:
    row = "| 2020/01/01 | A | [[x]|y](https://lwn.net/Articles/1/) | d | v1 ☐ | [LORE](https://lore.kernel.org/all/a@b/) |"
    d = draft(HEADER6, ROLES6, row)
    assert d.fired == ["pipe-in-link-text-or-code-counted"] and d.roles == ROLES6
    assert d.notes == [
        "a '|' inside a code span or link text splits a cell on GitHub (7 cells, header has 6); read as 6 cells"
    ]


def test_text_before_first_pipe() -> None:
    """SCHEDULER.md:4018: ``wojiush| 2023/03/27 | ...``."""
    d = draft(HEADER6_DEBUG, ROLES6, SCHED_4018)
    assert d.fired == ["text-before-first-pipe"] and d.roles == ROLES6
    assert d.cells()[:2] == ["2023/03/27", "Aaron Lu <aaron.lu@intel.com>"]
    assert d.notes == ["text 'wojiush' before the row's first '|'; ignored"]


def test_text_after_last_pipe() -> None:
    """study/problem/issue/3-numa_dismeter/0002-README.md:369: ``... |2021/01/15``."""
    d = draft(HEADER6, ROLES6, NUMA_369)
    assert d.fired == ["text-after-last-pipe"] and d.roles == ROLES6
    assert d.cells()[-1].startswith("[PatchWork](https://lore.kernel.org/patchwork/cover/1369363)")
    assert d.notes == ["text '2021/01/15' after the row's last '|'; ignored"]


def test_extra_empty_cell() -> None:
    """SCHEDULER.md:4420: ``| NA | | v1 ☑ 4.11-rc1 |``."""
    d = draft(HEADER6, ROLES6, SCHED_4420)
    assert d.fired == ["extra-empty-cell"] and d.roles == ROLES6
    assert d.cells()[3:5] == ["NA", "v1 ☑ 4.11-rc1"]
    assert d.notes == ["an extra empty cell ('| |'); ignored"]


def test_six_cells_under_five_columns() -> None:
    """SCHEDULER.md:3665: an author under ``| 时间  | 特性 | 描述 | 是否合入主线 | 链接 |``."""
    d = draft(HEADER5, ROLES5, SCHED_3665)
    assert d.fired == ["six-cells-under-five-columns"] and d.roles == CANONICAL6
    (row,) = scan(HEADER5, SCHED_3665).rows
    assert row.claims.authors[0].name == "Peter Zijlstra"


def test_stray_pipe_in_links_cell() -> None:
    """DEBUGGING.md:596: ``...kan.liang@linux.intel.com)|<br>*-*-*-*-*-*-*-* <br>[2025/03/14, LORE v10,0/7](...)``."""
    d = draft(HEADER6_DEBUG, ROLES6, DEBUG_596)
    assert d.fired == ["stray-pipe-in-links-cell"] and d.roles == ROLES6
    assert d.cells()[4] == "v6 ☐☑✓"
    assert d.cells()[5].endswith(
        "[2025/03/14, LORE v10,0/7](https://lore.kernel.org/all/20250314172700.438923-1-kan.liang@linux.intel.com)"
    )
    assert d.notes == ["a stray '|' in the links cell (7 cells, header has 6); read as one cell"]


def test_pipe_in_description() -> None:
    """DEBUGGING.md:127: ``set_memory{ro|rw|x|nx}`` in the description."""
    d = draft(HEADER6, ROLES6, DEBUG_127)
    assert d.fired == ["pipe-in-description"] and d.roles == ROLES6
    assert d.cells()[3] == "引入 CONFIG_ARCH_HAS_SET_MEMORY 封装了 set_memory{ro|rw|x|nx}"
    assert d.notes == [
        "a '|' in the description splits it on GitHub (9 cells, header has 6); read as 6 cells"
    ]


def test_missing_cells_by_content_status() -> None:
    """DEBUGGING.md:113: no status cell (and a title without a link)."""
    d = draft(HEADER6, ROLES6, DEBUG_113)
    assert d.fired == ["missing-cells-by-content"]
    assert d.roles == ("date", "author", "feature", "description", "links")
    assert d.notes == [
        "row has 5 cells, the header has 6: read without status (GitHub shifts the cells)"
    ]


def test_missing_cells_by_content_description() -> None:
    """study/kernel/01-process/05-schedule/07-cfs/09-pelt/README.md:901, under the 5-column header."""
    d = draft(HEADER5, ROLES5, PELT_901)
    assert d.fired == ["missing-cells-by-content"]
    assert d.roles == ("date", "feature", "status", "links")
    (row,) = scan(HEADER5, PELT_901).rows
    assert row.claims.status is not None and row.claims.status.version == 9


def test_a_row_no_rule_can_read() -> None:
    """DEBUGGING.md:1340: a paragraph with no blank line before it, inside the table."""
    d = draft(HEADER6_DEBUG, ROLES6, DEBUG_1340)
    assert d.roles is None and d.dropped is None and d.fired == []
    doc = scan(HEADER6_DEBUG, DEBUG_1340)
    assert messages(doc)[0].endswith(
        "cannot tell which cell is which, so its claims are not checked"
    )
    assert doc.rows[0].claims.status is None


# ---- readings the order and guards of the rules get right (wrong until 2026-12-05) --


def test_six_cells_under_five_columns_with_an_empty_status() -> None:
    """SCHEDULER.md:3941: the empty cell is the status; the author is read as the title."""
    (row,) = scan(HEADER5, SCHED_3941).rows
    assert [c.role for c in row.cells] == list(CANONICAL6)
    assert row.claims.authors[0].name == "Mel Gorman"


def test_a_pipe_in_the_description_is_no_stray_pipe_in_the_links() -> None:
    """MEMORY_MANAGER.md:389: ``(MAP_SHARED | MAP_ANONYMOUS)`` in the description."""
    (row,) = scan(HEADER6, MM_389).rows
    assert row.claims.status is not None and row.claims.status.raw == "v1 ☐☑✓ v6.11-rc1"


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (1391, "v30 ☑ 2.6.24-rc1"),
        (1537, "v1 ☑✓ 3.19-rc1"),
        (2054, "v1 ☑✓ 4.10-rc1"),
        (2326, "v1 ☑✓ 3.4-rc1"),
        (5195, "v2 ☐☑"),
    ],
)
def test_a_stray_pipe_before_the_status_is_not_folded_into_the_links(
    line: int, status: str
) -> None:
    """The other five rows whose extra cell comes before the status: the status cell
    is read as the status, not the description's tail."""
    doc = scan(HEADER6, MM_SHIFTED[line])
    (row,) = doc.rows
    assert row.claims.status is not None and row.claims.status.raw == status
    assert messages(doc) == [
        "a '|' in the description splits it on GitHub (7 cells, header has 6); read as 6 cells"
    ]
