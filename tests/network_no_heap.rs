//! The network's passes never touch the heap: a counting allocator sees no
//! allocation on the test's thread between the markers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use tinylinear::network::{Chain, Dense, Gelu, Identity, Network, PingPong, Relu6, Sigmoid};

/// The system allocator, counting the allocations made on each thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialised thread-local, which does not allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn forward_backward_and_both_optimisers_allocate_nothing() {
    type Net = Chain<Dense<5, 12, Gelu>, Chain<Dense<12, 7, Relu6>, Dense<7, 3, Sigmoid>>>;
    let mut net: Net = Network::torch_init(1);
    let x = [[0.5f32, -1.0, 0.25, 2.0, -0.75]; 9];
    let dy = [[0.1f32, -0.2, 0.3]; 9];
    let mut y = [[0.0f32; 3]; 9];
    let mut scratch = PingPong::<f32, { Net::SCRATCH_WIDTH }, 9>::zeroed();
    let mut trace = Net::trace::<9>();
    let (mut grads, mut velocity) = (Net::grads(), Net::grads());
    let mut dx = [[0.0f32; 5]; 9];
    let single = Dense::<5, 3, Identity>::torch_init(2);

    let before = allocations();
    net.forward(&x, &mut y, &mut scratch);
    net.forward_train(&x, &mut trace);
    net.backward(&x, &mut trace, &dy, &mut grads, Some(&mut dx));
    net.sgd_step(&grads, 0.01);
    net.momentum_step(&grads, &mut velocity, 0.01, 0.9);
    single.forward(&x, &mut y);
    let made = allocations() - before;

    assert_eq!(made, 0, "the network passes allocated {made} times");
    assert!(dx.as_flattened().iter().any(|&d| d != 0.0));
}
