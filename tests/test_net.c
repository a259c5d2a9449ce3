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

/* Keeps a copy of every layer's ∂loss/∂W, ∂loss/∂b and δ as the backward
 * pass produces them. */
typedef struct captured {
    int n, B;
    double *grad_w[16], *grad_b[16], *delta[16];
} captured;

static void capture(void *ctx, int layer, const void *delta, const void *grad_w,
                    const void *grad_b) {
    captured *c = ctx;
    size_t nn = (size_t)c->n * c->n, bn = (size_t)c->B * c->n;
    c->grad_w[layer] = malloc(nn * sizeof(double));
    c->grad_b[layer] = malloc(c->n * sizeof(double));
    c->delta[layer] = malloc(bn * sizeof(double));
    memcpy(c->grad_w[layer], grad_w, nn * sizeof(double));
    memcpy(c->grad_b[layer], grad_b, c->n * sizeof(double));
    memcpy(c->delta[layer], delta, bn * sizeof(double));
}

static void captured_free(captured *c, int depth) {
    for (int l = 1; l <= depth; l++) {
        free(c->grad_w[l]);
        free(c->grad_b[l]);
        free(c->delta[l]);
    }
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

/* Checks every entry of ∂loss/∂W[l] and ∂loss/∂b[l] for every layer, and
 * δ[1] per sample through ∂loss/∂x, against central differences.
 * W = sigma_w·U, so ∂loss/∂W = (∂loss/∂U) / sigma_w; likewise for b and β.
 * Step 1e-6: truncation error ~1e-12·|loss'''|, rounding ~1e-16·|loss|/1e-6. */
static double gradient_check(gs_config cfg) {
    const double h = 1e-6;
    const int n = cfg.width, B = cfg.batch, L = cfg.depth;
    gs_error err = {0};
    gs_net *net = net_create();
    gs_layer_stats layers[16];
    gs_result res = {.layers = layers};
    captured cap = {.n = n, .B = B};
    gs_net_observer obs = {.backward_layer = capture, .ctx = &cap};
    CHECK(net_prepare(net, &cfg, NULL, &err) == 0);
    net_forward(net, &res, NULL);
    net_backward(net, &res, &obs);

    double worst = 0;
    double *fd = malloc((size_t)n * n * sizeof(double));
    for (int l = 1; l <= L; l++) {
        double *u = net_unit_weights(net, l), *beta = net_unit_biases(net, l);
        for (int k = 0; k < n * n; k++)
            fd[k] = central_difference(net, &res, &u[k], h) / cfg.sigma_w;
        worst = fmax(worst, relative_error(cap.grad_w[l], fd, (size_t)n * n));
        for (int i = 0; i < n; i++)
            fd[i] = central_difference(net, &res, &beta[i], h) / cfg.sigma_b;
        worst = fmax(worst, relative_error(cap.grad_b[l], fd, (size_t)n));
    }
    /* ∂loss/∂x[s,j] = (1/B) Σ_i δ[1][s,i] W[1][i,j]: checks δ sample by sample. */
    double *x = net_input(net), *u1 = net_unit_weights(net, 1);
    double *from_delta = malloc((size_t)B * n * sizeof(double));
    double *fdx = malloc((size_t)B * n * sizeof(double));
    for (int s = 0; s < B; s++) {
        for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int i = 0; i < n; i++)
                sum += cap.delta[1][s * n + i] * cfg.sigma_w * u1[i * n + j];
            from_delta[s * n + j] = sum / B;
            fdx[s * n + j] = central_difference(net, &res, &x[s * n + j], h);
        }
    }
    worst = fmax(worst, relative_error(from_delta, fdx, (size_t)B * n));
    free(from_delta);
    free(fdx);
    free(fd);
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
    for (int k = 0; k < 6; k++) {
        gs_layer_stats a[9], b[9];
        gs_result ra = run(shared, seq[k], a);
        gs_net *fresh = net_create();
        gs_result rb = run(fresh, seq[k], b);
        net_destroy(&fresh);
        CHECK_MSG(memcmp(a, b, (size_t)seq[k].depth * sizeof a[0]) == 0, "configuration %d", k);
        CHECK(ra.log10_delta_ratio == rb.log10_delta_ratio);
    }
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
        for (int w = 0; w < 3; w++) {
            gs_config cfg = small_config(GS_ACT_TANH, GS_INIT_GAUSSIAN, GS_LOSS_PROBE);
            cfg.depth = depths[d], cfg.width = widths[w];
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
    TEST_MAIN_END();
}
