/* SPDX-License-Identifier: MIT */
/* test_net.c — the network's backward pass against central differences of
 * its forward pass (float64, every activation, init and loss), and the
 * properties the design promises: common random numbers, prefix networks,
 * the weight distributions, inf/NaN handling and float32 vs float64. */
#include <float.h>
#include <stdlib.h>

#include "gradsweep/net.h"
#include "gradsweep/stats.h"
#include "testing.h"

static gs_config small_config(gs_activation_kind act, gs_init init, gs_loss loss) {
    gs_config c = {
        .index = 0,
        .depth = 4,
        .width = 6,
        .batch = 3,
        .act = {act, 0.2},
        .init = init,
        .sigma_w = 1.3,
        .sigma_b = 0.4,
        .seed = 5,
        .base_seed = 17,
        .precision = GS_FLOAT64,
        .loss = loss,
    };
    return c;
}

static double loss_at(gs_net *net, gs_result *res) { return net_forward(net, res, NULL); }

/* d loss / d p by central differences, p a parameter inside the network. */
static double central_difference(gs_net *net, gs_result *res, double *p, double h) {
    double keep = *p;
    *p = keep + h;
    double up = loss_at(net, res);
    *p = keep - h;
    double down = loss_at(net, res);
    *p = keep;
    return (up - down) / (2 * h);
}

/* ‖a - b‖ / ‖b‖ over count entries. */
static double relative_error(const double *a, const double *b, size_t count) {
    double diff = 0, norm = 0;
    for (size_t k = 0; k < count; k++) {
        diff += (a[k] - b[k]) * (a[k] - b[k]);
        norm += b[k] * b[k];
    }
    return sqrt(diff) / fmax(sqrt(norm), 1e-300);
}

/* Keeps a copy of every layer's ∂loss/∂W, ∂loss/∂b and δ as the backward
 * pass produces them, whatever the layers' shapes. */
typedef struct captured {
    const gs_layer *layers;
    int B;
    double *grad_w[16], *grad_b[16], *delta[16];
} captured;

static void capture(void *ctx, int layer, const void *delta, const void *grad_w,
                    const void *grad_b) {
    captured *c = ctx;
    const gs_layer *d = &c->layers[layer - 1];
    size_t w = (size_t)d->fan_out * d->fan_in, b = (size_t)d->fan_out;
    size_t bn = (size_t)c->B * d->fan_out;
    c->grad_w[layer] = malloc(w * sizeof(double));
    c->grad_b[layer] = malloc(b * sizeof(double));
    c->delta[layer] = malloc(bn * sizeof(double));
    memcpy(c->grad_w[layer], grad_w, w * sizeof(double));
    memcpy(c->grad_b[layer], grad_b, b * sizeof(double));
    memcpy(c->delta[layer], delta, bn * sizeof(double));
}

static void captured_free(captured *c, int depth) {
    for (int l = 1; l <= depth; l++) {
        free(c->grad_w[l]);
        free(c->grad_b[l]);
        free(c->delta[l]);
    }
}

/* Checks every entry of ∂loss/∂W[l] and ∂loss/∂b[l] for every layer, and
 * δ[1] per sample through ∂loss/∂x, against central differences.
 * W[l] = sigma_w[l]·U[l] with each layer's own scale (arch.h), so ∂loss/∂W =
 * (∂loss/∂U) / sigma_w[l]; likewise for b and β.
 * Step 1e-6: truncation error ~1e-12·|loss'''|, rounding ~1e-16·|loss|/1e-6. */
static double gradient_check(gs_config cfg) {
    const double h = 1e-6;
    const int B = cfg.batch, L = cfg.depth;
    gs_layer layers[16];
    net_layers(&cfg, layers);
    gs_error err = {0};
    gs_net *net = net_create();
    gs_layer_stats stats[16];
    gs_result res = {.layers = stats};
    captured cap = {.layers = layers, .B = B};
    gs_net_observer obs = {.backward_layer = capture, .ctx = &cap};
    CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
    net_forward(net, &res, NULL);
    net_backward(net, &res, &obs);
    double worst = 0, fd[64 * 64];
    for (int l = 1; l <= L; l++) {
        const gs_layer *layer = &layers[l - 1];
        int count = layer->fan_in * layer->fan_out;
        double *u = net_unit_weights(net, l), *beta = net_unit_biases(net, l);
        for (int k = 0; k < count; k++)
            fd[k] = central_difference(net, &res, &u[k], h) / layer->sigma_w;
        worst = fmax(worst, relative_error(cap.grad_w[l], fd, (size_t)count));
        if (layer->sigma_b == 0) continue;
        for (int i = 0; i < layer->fan_out; i++)
            fd[i] = central_difference(net, &res, &beta[i], h) / layer->sigma_b;
        worst = fmax(worst, relative_error(cap.grad_b[l], fd, (size_t)layer->fan_out));
    }
    /* ∂loss/∂x[s,j] = (1/B) Σ_i δ[1][s,i] W[1][i,j] */
    const int in = layers[0].fan_in, out = layers[0].fan_out;
    double *x = net_input(net), *u1 = net_unit_weights(net, 1);
    double from_delta[64 * 64] = {0}, fdx[64 * 64] = {0};
    for (int s = 0; s < B; s++)
        for (int j = 0; j < in; j++) {
            double sum = 0;
            for (int i = 0; i < out; i++)
                sum += cap.delta[1][s * out + i] * layers[0].sigma_w * u1[i * in + j];
            from_delta[s * in + j] = sum / B;
            fdx[s * in + j] = central_difference(net, &res, &x[s * in + j], h);
        }
    worst = fmax(worst, relative_error(from_delta, fdx, (size_t)B * in));
    captured_free(&cap, L);
    net_destroy(&net);
    return worst;
}

static void test_backward_matches_central_differences(void) {
    for (int a = 0; a < GS_ACT_COUNT; a++)
        for (int init = 0; init < GS_INIT_COUNT; init++)
            for (int loss = 0; loss < 2; loss++) {
                gs_config cfg = small_config((gs_activation_kind)a, (gs_init)init, (gs_loss)loss);
                double worst = gradient_check(cfg);
                CHECK_MSG(worst < 1e-6, "%s/%s/%s: relative error %.3g",
                          activation_name(cfg.act.kind), init_name(cfg.init), loss_name(cfg.loss),
                          worst);
            }
}

static gs_result run(gs_net *net, gs_config cfg, gs_layer_stats *layers) {
    gs_result res = {.layers = layers};
    gs_error err = {0};
    CHECK(net_run(net, &cfg, &res, NULL, &err) == 0);
    return res;
}

/* Configurations that differ only in sigma_w see the same unit draws: with a
 * linear, bias-free net, z scales exactly by (sigma_w'/sigma_w)^l. */
static void test_common_random_numbers(void) {
    gs_net *net = net_create();
    gs_layer_stats a[8], b[8];
    gs_config cfg = small_config(GS_ACT_LINEAR, GS_INIT_GAUSSIAN, GS_LOSS_PROBE);
    cfg.depth = 8, cfg.width = 32, cfg.batch = 16, cfg.sigma_b = 0;
    cfg.sigma_w = 1.0;
    run(net, cfg, a);
    cfg.sigma_w = 2.0;
    run(net, cfg, b);
    for (int l = 1; l <= 8; l++) {
        CHECK_NEAR(b[l - 1].q / a[l - 1].q, pow(4.0, l), 1e-12 * pow(4.0, l));
        CHECK_NEAR(b[l - 1].c, a[l - 1].c, 1e-12);
    }
    net_destroy(&net);
}

/* A shallow network is the prefix of a deeper one: same forward statistics,
 * bit for bit. */
static void test_prefix(void) {
    gs_net *net = net_create();
    gs_layer_stats shallow[3], deep[7];
    gs_config cfg = small_config(GS_ACT_TANH, GS_INIT_ORTHOGONAL, GS_LOSS_PROBE);
    cfg.depth = 3;
    run(net, cfg, shallow);
    cfg.depth = 7;
    run(net, cfg, deep);
    for (int l = 0; l < 3; l++) {
        CHECK(shallow[l].q == deep[l].q);
        CHECK(shallow[l].c == deep[l].c);
        CHECK(shallow[l].act_ch_var == deep[l].act_ch_var);
    }
    net_destroy(&net);
}

/* U has Var = 1/n (gaussian, uniform) and U Uᵀ = I (orthogonal). */
static void test_weight_distributions(void) {
    gs_net *net = net_create();
    gs_error err = {0};
    const int n = 256;
    for (int init = 0; init < GS_INIT_COUNT; init++) {
        gs_config cfg = small_config(GS_ACT_RELU, (gs_init)init, GS_LOSS_PROBE);
        cfg.width = n, cfg.depth = 1;
        CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
        const double *u = net_unit_weights(net, 1);
        double m1 = 0, m2 = 0;
        for (int k = 0; k < n * n; k++)
            m1 += u[k], m2 += u[k] * u[k];
        m1 /= (double)n * n, m2 /= (double)n * n;
        /* n² draws: mean SE = sqrt(1/n)/n; second moment SE = sqrt(Var(u²))/n. */
        CHECK_NEAR(m1, 0.0, 5 * sqrt(1.0 / n) / n);
        if (init != GS_INIT_ORTHOGONAL)
            CHECK_NEAR(m2 * n, 1.0, 5 * sqrt(init == GS_INIT_GAUSSIAN ? 2.0 : 0.8) / n);
        else
            CHECK_NEAR(m2 * n, 1.0, 1e-12); /* each row has norm 1 exactly */
        if (init == GS_INIT_ORTHOGONAL) {
            double worst = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int k = 0; k < n; k++)
                        dot += u[i * n + k] * u[j * n + k];
                    worst = fmax(worst, fabs(dot - (i == j)));
                }
            CHECK_MSG(worst < 1e-12, "orthogonality error %.3g", worst);
        }
    }
    net_destroy(&net);
}

/* Overflow is recorded, not fatal, and does not poison the next configuration. */
static void test_nonfinite(void) {
    gs_net *net = net_create();
    gs_layer_stats layers[100], ok_layers[100];
    gs_config cfg = small_config(GS_ACT_LINEAR, GS_INIT_GAUSSIAN, GS_LOSS_PROBE);
    cfg.precision = GS_FLOAT32, cfg.depth = 100, cfg.width = 64, cfg.batch = 8;
    cfg.sigma_w = 10.0, cfg.sigma_b = 0;
    gs_result res = run(net, cfg, layers);
    CHECK(res.status == GS_STATUS_NONFINITE);
    /* z grows ×10 a layer from ~1: float overflows (3.4e38) near layer 38. */
    CHECK_MSG(res.first_nonfinite_forward_layer > 30 && res.first_nonfinite_forward_layer < 45,
              "first nonfinite forward layer %d", res.first_nonfinite_forward_layer);
    CHECK(res.first_nonfinite_layer > 0);
    CHECK(res.first_nonfinite_layer <= res.first_nonfinite_forward_layer);
    CHECK(isfinite(layers[0].q) && !isfinite(layers[99].q)); /* inf, then inf - inf = NaN */
    cfg.sigma_w = 1.0;
    gs_result ok = run(net, cfg, ok_layers);
    CHECK(ok.status == GS_STATUS_DONE && ok.first_nonfinite_layer == 0);
    CHECK(isfinite(ok.log10_delta_ratio) && isfinite(ok.log10_q_ratio));
    net_destroy(&net);
}

/* float32 and float64 see the same draws and agree to single precision. */
static void test_precisions_agree(void) {
    gs_net *net = net_create();
    gs_layer_stats s32[10], s64[10];
    gs_config cfg = small_config(GS_ACT_TANH, GS_INIT_GAUSSIAN, GS_LOSS_PROBE);
    cfg.depth = 10, cfg.width = 128, cfg.batch = 32, cfg.sigma_w = 1.2;
    cfg.precision = GS_FLOAT32;
    run(net, cfg, s32);
    cfg.precision = GS_FLOAT64;
    run(net, cfg, s64);
    for (int l = 0; l < 10; l++) {
        CHECK_NEAR(s32[l].q / s64[l].q, 1.0, 1e-4);
        CHECK_NEAR(s32[l].delta_sq / s64[l].delta_sq, 1.0, 1e-4);
        CHECK_NEAR(s32[l].grad_w_norm / s64[l].grad_w_norm, 1.0, 1e-4);
    }
    net_destroy(&net);
}

/* The statistics' definitions on a hand-made layer. */
static void test_stats_by_hand(void) {
    /* B = 2 samples, n = 2 units. */
    double z[4] = {1, 0, 0, 2}, a[4] = {1, 0, 0, 2}, d[4] = {1, 0, 0, 1};
    double scratch[STATS_SCRATCH_DOUBLES(2)];
    gs_layer_stats st;
    CHECK(stats_forward_f64(z, a, d, 2, 2, scratch, &st));
    CHECK_NEAR(st.q, 5.0 / 4, 1e-15);
    CHECK_NEAR(st.preact_mean, 3.0 / 4, 1e-15);
    CHECK_NEAR(st.c, 0.0, 1e-15); /* orthogonal samples */
    CHECK_NEAR(st.act_ch_sq_mean, (0.25 + 1.0) / 2, 1e-15);
    CHECK_NEAR(st.act_ch_var, (0.25 + 1.0) / 2, 1e-15);
    CHECK_NEAR(st.saturated_frac, 0.5, 0);
    CHECK_NEAR(st.dead_frac, 0.0, 0);
    double z2[4] = {1, 1, 2, 2}, d2[4] = {0, 1, 0, 1};
    CHECK(stats_forward_f64(z2, z2, d2, 2, 2, scratch, &st));
    CHECK_NEAR(st.c, 1.0, 1e-15);     /* parallel samples */
    CHECK_NEAR(st.dead_frac, 0.5, 0); /* unit 0 saturated for both samples */
    double big[2] = {1e200, 1e200};
    CHECK_NEAR(stats_norm_f64(big, 2), sqrt(2.0) * 1e200, 1e186);
    z[3] = INFINITY;
    CHECK(!stats_forward_f64(z, a, d, 2, 2, scratch, &st));
    /* double input whose squares overflow is still finite input */
    double huge[4] = {1e200, 1e200, 1e200, 1e200}, one[4] = {1, 1, 1, 1};
    CHECK(stats_forward_f64(huge, one, one, 2, 2, scratch, &st));
}

/* Float input: an inf or NaN anywhere in z or a is reported (the float
 * kernel sees it through its sums), saturation counts |φ'| < 1e-3 exactly
 * as the double comparison does at the float threshold's neighbours. */
static void test_stats_float_edges(void) {
    enum { B = 5, N = 9 };
    float z[B * N], a[B * N], d[B * N];
    double scratch[STATS_SCRATCH_DOUBLES(N)];
    gs_layer_stats st;
    const float just_below = nextafterf(0.001f, 0.0f); /* < 1e-3 */
    for (int k = 0; k < B * N; k++) {
        z[k] = a[k] = (float)(k % 7) - 3.0f;
        d[k] = k % 3 == 0 ? just_below : (k % 3 == 1 ? 0.001f : 0.5f);
    }
    CHECK(stats_forward_f32(z, a, d, B, N, scratch, &st));
    int below = 0;
    for (int k = 0; k < B * N; k++)
        below += fabs((double)d[k]) < 1e-3;
    CHECK_NEAR(st.saturated_frac, (double)below / (B * N), 0);
    CHECK((double)just_below < 1e-3 && (double)0.001f > 1e-3);
    for (int at = 0; at < B * N; at += 11) {
        float *where[2] = {z, a};
        for (int which = 0; which < 2; which++)
            for (int kind = 0; kind < 3; kind++) {
                float keep = where[which][at];
                where[which][at] = kind == 0 ? INFINITY : kind == 1 ? -INFINITY : NAN;
                CHECK_MSG(!stats_forward_f32(z, a, d, B, N, scratch, &st),
                          "%s[%d] = %g not reported", which ? "a" : "z", at,
                          (double)where[which][at]);
                where[which][at] = keep;
            }
    }
    /* the largest floats are finite, and so are their statistics */
    for (int k = 0; k < B * N; k++)
        z[k] = a[k] = k % 2 ? FLT_MAX : -FLT_MAX;
    CHECK(stats_forward_f32(z, a, d, B, N, scratch, &st));
    /* δ: the same through stats_delta, scaled or not */
    double unit_sum[N];
    CHECK(stats_delta_f32(z, NULL, B, N, unit_sum, scratch, &st));
    for (int at = 0; at < B * N; at += 13) {
        float keep = z[at];
        z[at] = NAN;
        CHECK(!stats_delta_f32(z, NULL, B, N, unit_sum, scratch, &st));
        z[at] = keep;
        d[at] = INFINITY; /* FLT_MAX · inf */
        CHECK(!stats_delta_f32(z, d, B, N, unit_sum, scratch, &st));
        d[at] = 0.5f;
        for (int k = 0; k < B * N; k++)
            z[k] = k % 2 ? FLT_MAX : -FLT_MAX;
    }
}

/* Runs seq[0 … count-1] one after the other on net, and each on a fresh
 * workspace too: the numbers must be the same, whatever came before. */
static void check_against_fresh(gs_net *net, const gs_config *seq, int count) {
    for (int k = 0; k < count; k++) {
        gs_layer_stats a[9], b[9];
        gs_result ra = run(net, seq[k], a);
        gs_net *fresh = net_create();
        gs_result rb = run(fresh, seq[k], b);
        net_destroy(&fresh);
        CHECK_MSG(memcmp(a, b, (size_t)seq[k].depth * sizeof a[0]) == 0, "configuration %d", k);
        CHECK(ra.log10_delta_ratio == rb.log10_delta_ratio);
    }
}

/* A workspace reuses draws across configurations that share them (same
 * seed, width, init; deeper ones draw only the missing layers). Whatever
 * came before, every configuration's numbers equal a fresh workspace's. */
static void test_draw_reuse_changes_nothing(void) {
    gs_config seq[6];
    for (int k = 0; k < 6; k++)
        seq[k] = small_config(GS_ACT_TANH, GS_INIT_GAUSSIAN, GS_LOSS_PROBE);
    seq[0].depth = 5;                     /* draws layers 1-5 */
    seq[1].depth = 9, seq[1].sigma_w = 2; /* same draws, layers 6-9 added */
    seq[2].depth = 3, seq[2].sigma_b = 0; /* a prefix */
    seq[3].seed = 6;                      /* other draws */
    seq[4].batch = 5;                     /* other data, same weights */
    seq[5].init = GS_INIT_ORTHOGONAL, seq[5].precision = GS_FLOAT32;
    gs_net *shared = net_create();
    check_against_fresh(shared, seq, 6);
    /* A caller that touched the weights gets fresh draws next time. */
    gs_layer_stats before[5], after[5];
    run(shared, seq[0], before);
    double *u = net_unit_weights(shared, 1);
    u[0] += 1.0;
    run(shared, seq[0], after);
    CHECK(memcmp(before, after, sizeof before) == 0);
    net_destroy(&shared);
}

/* Under a memory limit the network redraws weights, then checkpoints
 * activations; every plan gives the store-all numbers bit for bit (the
 * recomputation runs the same GEMMs on the same inputs). */
static void test_memory_plans_agree(void) {
    for (int variant = 0; variant < 4; variant++) {
        gs_config cfg = small_config(variant % 2 ? GS_ACT_RELU : GS_ACT_TANH,
                                     variant >= 2 ? GS_INIT_ORTHOGONAL : GS_INIT_GAUSSIAN,
                                     variant % 2 ? GS_LOSS_MSE : GS_LOSS_PROBE);
        cfg.depth = variant == 3 ? 12 : 11; /* L a multiple of k, and not */
        cfg.width = 24, cfg.batch = 5, cfg.precision = variant ? GS_FLOAT64 : GS_FLOAT32;
        gs_layer_stats all[12], constrained[12];
        gs_net *net = net_create();
        gs_result reference = run(net, cfg, all);
        gs_memory_plan full, redraw, plan;
        CHECK(net_memory_plan(&cfg, 0, &full) && full.mode == GS_MEMORY_STORE_ALL);
        CHECK(full.bytes == net_memory_bytes(&cfg));
        CHECK(net_memory_plan(&cfg, full.bytes - 1, &redraw));
        CHECK(redraw.mode == GS_MEMORY_REDRAW_WEIGHTS && redraw.bytes < full.bytes);
        size_t limits[] = {redraw.bytes, redraw.bytes - 1, 0};
        /* the smallest checkpointed workspace */
        CHECK(!net_memory_plan(&cfg, 1, &plan) && plan.mode == GS_MEMORY_CHECKPOINT);
        limits[2] = plan.bytes;
        for (int k = 0; k < 3; k++) {
            CHECK(net_memory_plan(&cfg, limits[k], &plan) && plan.bytes <= limits[k]);
            net_set_memory_limit(net, limits[k]);
            gs_result res = run(net, cfg, constrained);
            CHECK_MSG(memcmp(all, constrained, (size_t)cfg.depth * sizeof all[0]) == 0,
                      "variant %d, %s (k = %d)", variant, memory_mode_name(plan.mode),
                      plan.checkpoint_every);
            CHECK(res.status == reference.status &&
                  res.log10_delta_ratio == reference.log10_delta_ratio);
        }
        /* Too little even for checkpoints: the configuration fails, cleanly. */
        net_set_memory_limit(net, 1000);
        gs_result res = {.layers = constrained};
        gs_error err = {0};
        CHECK(net_run(net, &cfg, &res, NULL, &err) == GS_EXIT_RESOURCES);
        CHECK(res.status == GS_STATUS_FAILED);
        CHECK_STR_CONTAINS(err.msg, "even with weights redrawn and activations checkpointed");
        net_destroy(&net);
    }
}

/* The checkpoint interval is about sqrt(L) (it minimises L/k + k slots) and
 * the saving real. */
static void test_checkpoint_saving(void) {
    gs_config cfg = small_config(GS_ACT_RELU, GS_INIT_GAUSSIAN, GS_LOSS_PROBE);
    cfg.depth = 1000, cfg.width = 8192, cfg.batch = 128, cfg.precision = GS_FLOAT32;
    gs_memory_plan plan;
    net_memory_plan(&cfg, 1, &plan);
    CHECK_MSG(plan.checkpoint_every >= 21 && plan.checkpoint_every <= 47, "k = %d",
              plan.checkpoint_every);
    /* store all: 1000 weight matrices of 8192² floats, 268 GB; checkpointed:
     * one U and one ∂loss/∂W (8192² floats each), ∂loss/∂b, the biases (1000 × 8192),
     * 2 × (1000/k + k) slots and four buffers of 128 × 8192 floats, and 8 × 8192
     * doubles of scratch: 1.1 GB. */
    double n = 8192, B = 128, k = plan.checkpoint_every, slots = floor(1000 / k) + k;
    double expected = 4 * (2 * n * n + n + 1000 * n + 2 * slots * B * n + 4 * B * n) + 8 * 8 * n;
    CHECK(net_memory_bytes(&cfg) > 268e9);
    CHECK_NEAR((double)plan.bytes, expected, 0);
}

/* The workspace is sized from net_shape, the passes walk net_layers: the
 * shape must be what the layers add up to, each layer must take what the one
 * before puts out, and the unit draws of the layers must lie end to end. */
static void test_shape_matches_layers(void) {
    const int depths[] = {1, 3, 17}, widths[] = {1, 6, 33};
    for (int d = 0; d < 3; d++)
        for (int w = 0; w < 9; w++) {
            gs_config cfg = small_config(GS_ACT_TANH, GS_INIT_GAUSSIAN, GS_LOSS_PROBE);
            cfg.depth = depths[d], cfg.width = widths[w % 3];
            cfg.input_width = w / 3 == 1 ? 40 : 0, cfg.output_width = w / 3 == 2 ? 2 : 0;
            gs_layer *layers = malloc((size_t)cfg.depth * sizeof *layers);
            net_layers(&cfg, layers);
            gs_net_shape shape = net_shape(&cfg);
            size_t weights = 0, biases = 0, largest = 0;
            int widest = 0;
            for (int l = 0; l < cfg.depth; l++) {
                const gs_layer *layer = &layers[l];
                CHECK(layer->unit_weights_at == weights && layer->unit_biases_at == biases);
                CHECK(l == 0 || layer->fan_in == layers[l - 1].fan_out);
                size_t count = (size_t)layer->fan_out * layer->fan_in;
                weights += count, biases += (size_t)layer->fan_out;
                largest = count > largest ? count : largest;
                widest = layer->fan_in > widest ? layer->fan_in : widest;
                widest = layer->fan_out > widest ? layer->fan_out : widest;
            }
            CHECK(shape.depth == cfg.depth && shape.batch == cfg.batch);
            CHECK(shape.inputs == layers[0].fan_in &&
                  shape.outputs == layers[cfg.depth - 1].fan_out);
            CHECK(shape.unit_weights == weights && shape.unit_biases == biases);
            CHECK(shape.largest_weights == largest && shape.widest == widest);
            free(layers);
        }
}

/* ---- layers of other shapes and the frameworks' inits (issue 12) ------------------------ */

static gs_config shaped_config(int depth, int in, int out, gs_init init, gs_fan fan) {
    gs_config cfg = small_config(GS_ACT_TANH, init, GS_LOSS_PROBE);
    cfg.depth = depth, cfg.width = 6, cfg.input_width = in, cfg.output_width = out;
    cfg.fan = fan;
    return cfg;
}

/* Layers of other widths (narrowing and widening first and last layers, a
 * network of one layer), every init, every fan, PyTorch's and Keras'
 * defaults, both losses: the backward pass is the forward pass's derivative. */
static void test_shaped_gradients(void) {
    const int shapes[][3] = {{3, 5, 4}, {3, 9, 11}, {1, 7, 3}, {2, 6, 2}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int init = 0; init < GS_INIT_COUNT; init++)
            for (int fan = 0; fan < GS_FAN_COUNT; fan++) {
                gs_config cfg = shaped_config(shapes[k][0], shapes[k][1], shapes[k][2],
                                              (gs_init)init, (gs_fan)fan);
                cfg.loss = (gs_loss)((init + fan) % 2);
                cfg.act.kind = (init + fan) % 3 ? GS_ACT_TANH : GS_ACT_GELU;
                double worst = gradient_check(cfg);
                CHECK_MSG(worst < 1e-6, "%d: %d -> %d, %s, fan %s, %s: relative error %.3g",
                          cfg.depth, cfg.input_width, cfg.output_width, init_name(cfg.init),
                          fan_name(cfg.fan), loss_name(cfg.loss), worst);
            }
    for (int name = GS_SCALE_TORCH_DEFAULT; name <= GS_SCALE_KERAS_DEFAULT; name++) {
        gs_config cfg =
            shaped_config(3, 5, 4, GS_INIT_UNIFORM, scale_default_fan((gs_scale_name)name));
        cfg.scale_name = (gs_scale_name)name;
        cfg.sigma_w = name == GS_SCALE_TORCH_DEFAULT ? GS_TORCH_DEFAULT_SIGMA_W : 1.0;
        cfg.sigma_b = 0;
        double worst = gradient_check(cfg);
        CHECK_MSG(worst < 1e-6, "%s: relative error %.3g", sigma_w_name(cfg.scale_name), worst);
    }
}

/* Each layer's scales: sigma_w sqrt(fan_in / fan) for the fan chosen (exactly
 * sigma_w where fan = fan_in), PyTorch's biases 1/sqrt(fan_in), and the
 * absolute bounds ±2 of torch_trunc_normal as a cut in U's standard
 * deviations. */
static void test_layer_scales(void) {
    gs_config cfg = shaped_config(3, 784, 10, GS_INIT_GAUSSIAN, GS_FAN_AVG);
    cfg.width = 512, cfg.sigma_w = 1.5;
    gs_layer layers[3];
    net_layers(&cfg, layers);
    CHECK_NEAR(layers[0].sigma_w, 1.5 * sqrt(784 / ((784 + 512) / 2.0)), 1e-15);
    CHECK(layers[1].sigma_w == 1.5); /* square: exactly */
    CHECK_NEAR(layers[2].sigma_w, 1.5 * sqrt(512 / ((512 + 10) / 2.0)), 1e-15);
    cfg.fan = GS_FAN_OUT;
    net_layers(&cfg, layers);
    CHECK_NEAR(layers[0].sigma_w, 1.5 * sqrt(784.0 / 512), 1e-15);
    CHECK_NEAR(layers[2].sigma_w, 1.5 * sqrt(512.0 / 10), 1e-14);
    CHECK(!layers[0].uniform_biases && layers[0].sigma_b == cfg.sigma_b &&
          isinf(layers[0].trunc_k));
    cfg.scale_name = GS_SCALE_TORCH_DEFAULT, cfg.fan = GS_FAN_IN,
    cfg.init = GS_INIT_TORCH_TRUNC_NORMAL;
    net_layers(&cfg, layers);
    CHECK(layers[0].uniform_biases && layers[0].sigma_b == 1 / sqrt(784.0));
    CHECK(layers[2].uniform_biases && layers[2].sigma_b == 1 / sqrt(512.0));
    /* |W| = sigma_w |U| ≤ 2 ⇔ |U| ≤ 2/sigma_w = trunc_k / sqrt(fan_in) */
    CHECK_NEAR(layers[0].trunc_k / sqrt(784.0) * layers[0].sigma_w, 2.0, 1e-14);
    CHECK_NEAR(layers[1].trunc_k / sqrt(512.0) * layers[1].sigma_w, 2.0, 1e-14);
}

/* Non-square networks under every memory plan give the store-all numbers bit
 * for bit: widening and narrowing layers, orthogonal (whose QR and
 * transposition run again when weights are redrawn) and the truncated normals. */
static void test_shaped_memory_plans_agree(void) {
    const gs_init inits[] = {GS_INIT_ORTHOGONAL, GS_INIT_TRUNCATED_NORMAL,
                             GS_INIT_TORCH_TRUNC_NORMAL, GS_INIT_UNIFORM};
    for (int variant = 0; variant < 4; variant++) {
        gs_config cfg = shaped_config(11 + variant % 2, variant % 2 ? 40 : 9, variant < 2 ? 3 : 30,
                                      inits[variant], (gs_fan)(variant % 3));
        cfg.width = 20, cfg.batch = 5, cfg.loss = (gs_loss)(variant % 2);
        if (variant == 3) cfg.scale_name = GS_SCALE_TORCH_DEFAULT;
        gs_layer_stats all[12], constrained[12];
        gs_net *net = net_create();
        gs_result reference = run(net, cfg, all);
        gs_memory_plan full, plan;
        CHECK(net_memory_plan(&cfg, 0, &full) && full.mode == GS_MEMORY_STORE_ALL);
        CHECK(!net_memory_plan(&cfg, 1, &plan) && plan.mode == GS_MEMORY_CHECKPOINT);
        size_t limits[] = {full.bytes - 1, plan.bytes};
        for (int k = 0; k < 2; k++) {
            CHECK(net_memory_plan(&cfg, limits[k], &plan) && plan.bytes <= limits[k]);
            CHECK(plan.mode == (k ? GS_MEMORY_CHECKPOINT : GS_MEMORY_REDRAW_WEIGHTS));
            net_set_memory_limit(net, limits[k]);
            gs_result res = run(net, cfg, constrained);
            CHECK_MSG(memcmp(all, constrained, (size_t)cfg.depth * sizeof all[0]) == 0,
                      "variant %d, %s", variant, memory_mode_name(plan.mode));
            CHECK(res.log10_delta_ratio == reference.log10_delta_ratio);
        }
        net_destroy(&net);
    }
}

/* The draw cache with input and output widths: a shallower network's last
 * layer of output_width units is its own (a deeper one has a hidden layer
 * there), and networks that differ only in output_width or input_width
 * draw what they do not share. Whatever came before, a fresh workspace's
 * numbers. */
static void test_shaped_draw_reuse(void) {
    gs_config seq[8];
    for (int k = 0; k < 8; k++)
        seq[k] = shaped_config(5, 7, 3, k < 6 ? GS_INIT_GAUSSIAN : GS_INIT_ORTHOGONAL, GS_FAN_IN);
    seq[1].depth = 8;                           /* deeper: layer 5 becomes a hidden one */
    seq[2].depth = 3;                           /* shallower: layer 3 an output layer */
    seq[3].depth = 3, seq[3].sigma_w = 0.7;     /* the same draws again */
    seq[4].output_width = 6;                    /* = width: a square last layer */
    seq[5].input_width = 11, seq[5].depth = 9;  /* another first layer */
    seq[6].depth = 1;                           /* one layer, 7 -> 3 */
    seq[7].output_width = 10, seq[7].depth = 4; /* widening, orthogonal */
    gs_net *shared = net_create();
    check_against_fresh(shared, seq, 8);
    net_destroy(&shared);
}

/* Which streams the draws come from: a square configuration built with its
 * widths spelled out is the one without (the draws of before issue 12), and
 * networks that differ only in input_width share every layer but the first,
 * only in output_width every layer but the last, whose rows are then the
 * first output_width rows of the hidden layer's (gaussian). */
static void test_stream_keys(void) {
    gs_config square = shaped_config(4, 0, 0, GS_INIT_GAUSSIAN, GS_FAN_IN), spelled = square;
    spelled.input_width = spelled.output_width = square.width;
    gs_net *a = net_create(), *b = net_create();
    gs_error err = {0};
    gs_layer_stats sa[4], sb[4];
    run(a, square, sa);
    run(b, spelled, sb);
    CHECK(memcmp(sa, sb, sizeof sa) == 0);
    gs_config narrow = square, wide_in = square;
    narrow.output_width = 2;
    wide_in.input_width = 13;
    CHECK(net_prepare(a, &square, NULL, &err) == 0 && net_prepare(b, &narrow, NULL, &err) == 0);
    const double *ua = net_unit_weights(a, 4), *ub = net_unit_weights(b, 4);
    CHECK(memcmp(ua, ub, 2 * 6 * sizeof(double)) == 0); /* the first 2 rows */
    for (int l = 1; l <= 3; l++)
        CHECK(memcmp(net_unit_weights(a, l), net_unit_weights(b, l), 36 * sizeof(double)) == 0);
    CHECK(net_prepare(b, &wide_in, NULL, &err) == 0);
    for (int l = 2; l <= 4; l++)
        CHECK(memcmp(net_unit_weights(a, l), net_unit_weights(b, l), 36 * sizeof(double)) == 0);
    net_destroy(&a);
    net_destroy(&b);
}

/* The frameworks' distributions, against their definitions, on layers of
 * 400 × 300 = 120 000 draws (sampling errors: a mean's is sd/sqrt(N), a
 * second moment's sqrt(Var(u²)/N); tolerances are 5 of them):
 *   truncated_normal   |U| ≤ 2 sd, Var(U) = 1/fan_in exactly (rescaled)
 *   torch_trunc_normal |W| ≤ 2, Var(W) = σ² τ(k)/... with k = 2 sqrt(fan_in)/σw
 *   torch_default      |W| ≤ 1/sqrt(fan_in) and |b| ≤ 1/sqrt(fan_in), filled to
 *                      the bounds, Var(W) = 1/(3 fan_in)
 *   orthogonal         U Uᵀ = I narrowing, Uᵀ U = (out/in) I widening */
static void test_framework_distributions(void) {
    gs_net *net = net_create();
    gs_error err = {0};
    const int in = 400, out = 300;
    const double N = (double)in * out;
    /* truncated_normal */
    gs_config cfg = shaped_config(1, in, out, GS_INIT_TRUNCATED_NORMAL, GS_FAN_IN);
    CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
    const double *u = net_unit_weights(net, 1);
    double m1 = 0, m2 = 0, m4 = 0, big = 0;
    for (int k = 0; k < in * out; k++) {
        double x = u[k] * sqrt((double)in); /* unit variance */
        m1 += x, m2 += x * x, m4 += x * x * x * x, big = fmax(big, fabs(x));
    }
    m1 /= N, m2 /= N, m4 /= N;
    const double sd2 = 0.87962566103423978; /* Keras' constant: sd of N(0,1) cut at ±2 */
    CHECK_MSG(big <= 2 / sd2 * (1 + 1e-15), "max |U| sqrt(fan_in) %.17g", big);
    CHECK_MSG(big > 2 / sd2 * (1 - 1e-3), "the cut is not reached: %.6g", big);
    CHECK_NEAR(m1, 0.0, 5 / sqrt(N));
    CHECK_NEAR(m2, 1.0, 5 * sqrt((m4 - 1) / N));
    /* torch_trunc_normal at a scale where the cut bites: sd of W = 2.5/sqrt(400) = 0.125,
     * so the bounds ±2 are 16 sd away: uncut; at sigma_w = 30 they are 1.33 sd away */
    cfg.init = GS_INIT_TORCH_TRUNC_NORMAL, cfg.sigma_w = 30;
    CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
    u = net_unit_weights(net, 1);
    double k = 2 * sqrt((double)in) / cfg.sigma_w; /* the cut in standard deviations */
    double tau = 1 - 2 * k * exp(-0.5 * k * k) / sqrt(2 * M_PI) / erf(k / sqrt(2.0));
    m1 = m2 = m4 = big = 0;
    for (int j = 0; j < in * out; j++) {
        double w = cfg.sigma_w * u[j]; /* W itself */
        m1 += w, m2 += w * w, m4 += w * w * w * w, big = fmax(big, fabs(w));
    }
    m1 /= N, m2 /= N, m4 /= N;
    CHECK_MSG(big <= 2 * (1 + 1e-15) && big > 2 * (1 - 1e-3), "max |W| %.17g", big);
    double var = cfg.sigma_w * cfg.sigma_w / in * tau;
    CHECK_NEAR(m1, 0.0, 5 * sqrt(var / N));
    CHECK_NEAR(m2 / var, 1.0, 5 * sqrt((m4 - m2 * m2) / N) / var);
    /* torch_default: nn.Linear's weights and biases */
    cfg = shaped_config(1, in, out, GS_INIT_UNIFORM, GS_FAN_IN);
    cfg.scale_name = GS_SCALE_TORCH_DEFAULT, cfg.sigma_w = GS_TORCH_DEFAULT_SIGMA_W,
    cfg.sigma_b = 0;
    gs_layer layer;
    net_layers(&cfg, &layer);
    CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
    u = net_unit_weights(net, 1);
    const double *beta = net_unit_biases(net, 1), bound = 1 / sqrt((double)in);
    m2 = big = 0;
    for (int j = 0; j < in * out; j++) {
        double w = layer.sigma_w * u[j];
        m2 += w * w, big = fmax(big, fabs(w));
    }
    m2 /= N;
    CHECK_MSG(big <= bound * (1 + 1e-15) && big > bound * (1 - 1e-3), "max |W| %.17g", big);
    /* Var of U(-a, a): a²/3; of its square: a⁴ (1/5 - 1/9) */
    CHECK_NEAR(m2 / (bound * bound / 3), 1.0, 5 * sqrt(4.0 / 45 / N) * 3);
    double bmax = 0;
    for (int i = 0; i < out; i++)
        bmax = fmax(bmax, fabs(layer.sigma_b * beta[i]));
    CHECK_MSG(bmax <= bound * (1 + 1e-15) && bmax > bound * 0.95, "max |b| %.17g", bmax);
    /* semi-orthogonal: narrowing (orthonormal rows), widening (orthogonal columns of norm
     * sqrt(out/in)) */
    const int shapes[2][2] = {{in, out}, {out, in}};
    for (int s = 0; s < 2; s++) {
        cfg = shaped_config(1, shapes[s][0], shapes[s][1], GS_INIT_ORTHOGONAL, GS_FAN_IN);
        const int fi = shapes[s][0], fo = shapes[s][1];
        CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
        u = net_unit_weights(net, 1);
        double worst = 0;
        if (fo <= fi) { /* U Uᵀ = I */
            for (int i = 0; i < fo; i += 7)
                for (int j = 0; j < fo; j++) {
                    double dot = 0;
                    for (int c = 0; c < fi; c++)
                        dot += u[i * fi + c] * u[j * fi + c];
                    worst = fmax(worst, fabs(dot - (i == j)));
                }
        } else { /* Uᵀ U = (out/in) I */
            for (int i = 0; i < fi; i += 7)
                for (int j = 0; j < fi; j++) {
                    double dot = 0;
                    for (int r = 0; r < fo; r++)
                        dot += u[r * fi + i] * u[r * fi + j];
                    worst = fmax(worst, fabs(dot - (i == j) * (double)fo / fi));
                }
        }
        CHECK_MSG(worst < 1e-12, "%d -> %d: orthogonality error %.3g", fi, fo, worst);
    }
    net_destroy(&net);
}

/* Residual blocks and LayerNorm (issue 12): the backward pass, LayerNorm's
 * hand-written one included, is the forward pass's derivative, for plain
 * networks with a norm, residual blocks with and without one, a last layer
 * that is a block (output_width = width) or a dense head (≠), both losses. */
static void test_block_gradients(void) {
    const gs_activation_kind acts[] = {GS_ACT_TANH, GS_ACT_GELU, GS_ACT_LINEAR, GS_ACT_SOFTPLUS};
    for (int variant = 0; variant < 12; variant++) {
        gs_config cfg = shaped_config(4, 5, variant % 2 ? 3 : 6, GS_INIT_GAUSSIAN, GS_FAN_IN);
        cfg.act.kind = acts[variant % 4];
        cfg.loss = (gs_loss)(variant / 2 % 2);
        cfg.norm = variant % 3 ? GS_NORM_LAYERNORM : GS_NORM_NONE;
        cfg.branch = (gs_branch)(variant / 4); /* none, 0.7, 1/sqrt(depth) */
        cfg.branch_scale = 0.7;
        double worst = gradient_check(cfg);
        CHECK_MSG(worst < 1e-6, "%s, %s, branch %d, norm %s, -> %d: relative error %.3g",
                  activation_name(cfg.act.kind), loss_name(cfg.loss), (int)cfg.branch,
                  norm_name(cfg.norm), cfg.output_width, worst);
    }
}

/* Residual and LayerNorm networks under every memory plan give the store-all
 * numbers bit for bit: a recomputed segment starts from the checkpoint's
 * trunk z[l] and the norm's saved statistics. */
static void test_block_memory_plans_agree(void) {
    for (int variant = 0; variant < 4; variant++) {
        gs_config cfg =
            shaped_config(11 + variant % 2, 7, variant < 2 ? 20 : 4,
                          variant % 2 ? GS_INIT_ORTHOGONAL : GS_INIT_GAUSSIAN, GS_FAN_IN);
        cfg.width = 20, cfg.batch = 5, cfg.loss = (gs_loss)(variant % 2);
        cfg.act.kind = variant % 2 ? GS_ACT_RELU : GS_ACT_TANH;
        cfg.precision = variant == 2 ? GS_FLOAT32 : GS_FLOAT64;
        cfg.branch = variant == 3 ? GS_BRANCH_NONE : GS_BRANCH_INV_SQRT_DEPTH;
        cfg.norm = variant == 1 ? GS_NORM_NONE : GS_NORM_LAYERNORM;
        gs_layer_stats all[12], constrained[12];
        gs_net *net = net_create();
        gs_result reference = run(net, cfg, all);
        CHECK(reference.status == GS_STATUS_DONE);
        gs_memory_plan full, plan;
        CHECK(net_memory_plan(&cfg, 0, &full) && full.mode == GS_MEMORY_STORE_ALL);
        CHECK(!net_memory_plan(&cfg, 1, &plan) && plan.mode == GS_MEMORY_CHECKPOINT);
        size_t limits[] = {full.bytes - 1, plan.bytes};
        for (int k = 0; k < 2; k++) {
            CHECK(net_memory_plan(&cfg, limits[k], &plan) && plan.bytes <= limits[k]);
            CHECK(plan.mode == (k ? GS_MEMORY_CHECKPOINT : GS_MEMORY_REDRAW_WEIGHTS));
            net_set_memory_limit(net, limits[k]);
            gs_result res = run(net, cfg, constrained);
            CHECK_MSG(memcmp(all, constrained, (size_t)cfg.depth * sizeof all[0]) == 0,
                      "variant %d, %s", variant, memory_mode_name(plan.mode));
            CHECK(res.log10_delta_ratio == reference.log10_delta_ratio);
        }
        net_destroy(&net);
    }
}

/* The workspace of blocks and norms: z[l] per slot and the norm's two
 * doubles per sample per slot, nothing for a plain network. */
static void test_block_workspace(void) {
    gs_config cfg = shaped_config(10, 6, 6, GS_INIT_GAUSSIAN, GS_FAN_IN);
    cfg.width = 6, cfg.batch = 3;
    gs_memory_plan all = {GS_MEMORY_STORE_ALL, 0, 0};
    gs_workspace plain = plan_workspace(&cfg, &all);
    CHECK(plain.trunks == 0 && plain.norm_stats == 0);
    cfg.branch = GS_BRANCH_NUMBER, cfg.branch_scale = 1;
    gs_workspace blocks = plan_workspace(&cfg, &all);
    CHECK(blocks.trunks == 11 * 3 * 6 && blocks.norm_stats == 0);
    cfg.norm = GS_NORM_LAYERNORM;
    gs_workspace normed = plan_workspace(&cfg, &all);
    CHECK(normed.trunks == 11 * 3 * 6 && normed.norm_stats == 11 * 2 * 3);
    size_t plain_bytes = net_memory_bytes(
        &(gs_config){.depth = 10, .width = 6, .batch = 3, .precision = GS_FLOAT64});
    CHECK(net_memory_bytes(&cfg) == plain_bytes + (11 * 3 * 6 + 11 * 2 * 3) * sizeof(double));
}

int main(void) {

    RUN(test_shape_matches_layers);
    RUN(test_backward_matches_central_differences);
    RUN(test_common_random_numbers);
    RUN(test_prefix);
    RUN(test_draw_reuse_changes_nothing);
    RUN(test_memory_plans_agree);
    RUN(test_checkpoint_saving);
    RUN(test_weight_distributions);
    RUN(test_nonfinite);
    RUN(test_precisions_agree);
    RUN(test_stats_by_hand);
    RUN(test_stats_float_edges);
    RUN(test_layer_scales);
    RUN(test_shaped_gradients);
    RUN(test_shaped_memory_plans_agree);
    RUN(test_shaped_draw_reuse);
    RUN(test_stream_keys);
    RUN(test_framework_distributions);
    RUN(test_block_gradients);
    RUN(test_block_memory_plans_agree);
    RUN(test_block_workspace);
    TEST_MAIN_END();
}
