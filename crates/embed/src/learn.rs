//! Teaching a distilled static model what the transformer makes of whole texts, in the spirit of
//! tokenlearn: the transformer embeds a corpus of abstracts once, and each token's vector (with
//! its weight) is trained so that the weighted mean of a text's tokens, passed through a linear
//! head, lands on the transformer's vector of that text. The head is thrown away afterwards: it
//! only lets the token vectors keep their own space. Distillation alone sees every token out of
//! context (`[SEP] token [CLS]`); this shows the vectors how tokens combine in real abstracts.
//!
//! Plain Adam on hand-written gradients (the model is a mean and one linear map), one thread, a
//! fixed shuffle: the same texts and teacher vectors give the same bytes.

use crate::distilled::{LearnOptions, LearnReport, StaticModel};

/// Texts are learned from by their first this many tokens (with the transformer's two special
/// ones, the length it was trained at): fewer tokens than its 256 cost the transformer less.
pub const LEARN_TOKENS: usize = 126;

/// Adam's two running moments for a block of parameters.
struct Moments {
    first: Vec<f64>,
    second: Vec<f64>,
}

impl Moments {
    fn new(len: usize) -> Moments {
        Moments {
            first: vec![0.0; len],
            second: vec![0.0; len],
        }
    }

    /// One Adam step on `params[range]` with `grads` (as long as the range); `step` counts from 1.
    fn update(&mut self, params: &mut [f64], start: usize, grads: &[f64], rate: f64, step: i32) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        const EPS: f64 = 1e-8;
        let (c1, c2) = (1.0 - B1.powi(step), 1.0 - B2.powi(step));
        for (offset, &g) in grads.iter().enumerate() {
            let i = start + offset;
            self.first[i] = B1 * self.first[i] + (1.0 - B1) * g;
            self.second[i] = B2 * self.second[i] + (1.0 - B2) * g * g;
            params[i] -= rate * (self.first[i] / c1) / ((self.second[i] / c2).sqrt() + EPS);
        }
    }
}

/// Adam's state for every parameter of a student.
struct Adam {
    steps: i32,
    vectors: Moments,
    weights: Moments,
    head: Moments,
    bias: Moments,
}

impl Adam {
    fn new(student: &Student) -> Adam {
        Adam {
            steps: 0,
            vectors: Moments::new(student.vectors.len()),
            weights: Moments::new(student.weights.len()),
            head: Moments::new(student.head.len()),
            bias: Moments::new(student.bias.len()),
        }
    }
}

/// The trainable parameters: unit token vectors, a weight per token, and the linear head.
struct Student {
    dimensions: usize,
    targets: usize,
    vectors: Vec<f64>,
    weights: Vec<f64>,
    head: Vec<f64>,
    bias: Vec<f64>,
}

impl Student {
    fn from(model: &StaticModel, targets: usize) -> Student {
        let dimensions = model.dimensions();
        let mut vectors: Vec<f64> = model.vectors.iter().map(|&v| f64::from(v)).collect();
        let weights = vectors
            .chunks_mut(dimensions)
            .map(|row| {
                let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm > 0.0 {
                    row.iter_mut().for_each(|v| *v /= norm);
                }
                norm
            })
            .collect();
        Student {
            dimensions,
            targets,
            vectors,
            weights,
            head: vec![0.0; dimensions * targets],
            bias: vec![0.0; targets],
        }
    }

    /// The weighted mean of the tokens, and the head's output for it.
    fn forward(&self, tokens: &[u32]) -> (Vec<f64>, Vec<f64>) {
        let d = self.dimensions;
        let mut mean = vec![0.0; d];
        for &t in tokens {
            let (w, row) = (
                self.weights[t as usize],
                &self.vectors[t as usize * d..(t as usize + 1) * d],
            );
            for (m, v) in mean.iter_mut().zip(row) {
                *m += w * v;
            }
        }
        let n = tokens.len().max(1) as f64;
        mean.iter_mut().for_each(|m| *m /= n);
        let mut out = self.bias.clone();
        for (k, m) in mean.iter().enumerate() {
            for (o, h) in out.iter_mut().zip(&self.head[k * self.targets..(k + 1) * self.targets]) {
                *o += m * h;
            }
        }
        (mean, out)
    }

    fn loss(&self, tokens: &[u32], target: &[f64]) -> f64 {
        let (_, out) = self.forward(tokens);
        out.iter().zip(target).map(|(o, t)| (o - t) * (o - t)).sum::<f64>() / self.targets as f64
    }

    /// The static model these parameters make: each token's vector times its weight.
    fn into_vectors(self) -> Vec<f32> {
        self.vectors
            .chunks(self.dimensions)
            .zip(&self.weights)
            .flat_map(|(row, w)| row.iter().map(move |v| (v * w) as f32))
            .collect()
    }

    /// One step of Adam on the mean squared error of `examples` (tokens, centred target).
    fn step(&mut self, examples: &[(&[u32], &[f64])], adam: &mut Adam, rate: f64) {
        let (d, w) = (self.dimensions, self.targets);
        let mut head_grad = vec![0f64; d * w];
        let mut bias_grad = vec![0f64; w];
        // Token gradients are sparse: summed per token, applied to the tokens the batch saw.
        let mut token_grads: std::collections::BTreeMap<u32, (Vec<f64>, f64)> = Default::default();
        let scale = 2.0 / (w as f64 * examples.len() as f64);
        for &(tokens, target) in examples {
            let (mean, out) = self.forward(tokens);
            let out_grad: Vec<f64> = out.iter().zip(target).map(|(o, t)| scale * (o - t)).collect();
            let mut mean_grad = vec![0f64; d];
            for k in 0..d {
                let head_row = &self.head[k * w..(k + 1) * w];
                let grad_row = &mut head_grad[k * w..(k + 1) * w];
                let mut through = 0.0;
                for ((g, h), og) in grad_row.iter_mut().zip(head_row).zip(&out_grad) {
                    *g += mean[k] * og;
                    through += h * og;
                }
                mean_grad[k] = through;
            }
            bias_grad.iter_mut().zip(&out_grad).for_each(|(b, g)| *b += g);
            let n = tokens.len().max(1) as f64;
            for &t in tokens {
                let row = &self.vectors[t as usize * d..(t as usize + 1) * d];
                let weight = self.weights[t as usize];
                let (vector_grad, weight_grad) = token_grads.entry(t).or_insert_with(|| (vec![0.0; d], 0.0));
                for ((vg, mg), v) in vector_grad.iter_mut().zip(&mean_grad).zip(row) {
                    *vg += weight * mg / n;
                    *weight_grad += v * mg / n;
                }
            }
        }
        adam.steps += 1;
        let step = adam.steps;
        for (t, (vector_grad, weight_grad)) in token_grads {
            let t = t as usize;
            adam.vectors.update(&mut self.vectors, t * d, &vector_grad, rate, step);
            adam.weights.update(&mut self.weights, t, &[weight_grad], rate, step);
        }
        adam.head.update(&mut self.head, 0, &head_grad, rate, step);
        adam.bias.update(&mut self.bias, 0, &bias_grad, rate, step);
    }
}

/// A shuffle by a small deterministic generator (xorshift64*).
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        let j = (state.wrapping_mul(0x2545_f491_4f6c_dd1d) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

impl StaticModel {
    /// Trains the vectors on `texts` (token ids, as this model tokenises them; see `cut`) against
    /// the transformer's `teacher` vectors of the same texts, and records how in `static.json`;
    /// `progress` hears (epoch, validation loss) after every epoch.
    pub fn learn(
        &mut self,
        texts: &[Vec<u32>],
        teacher: &[Vec<f32>],
        options: LearnOptions,
        progress: &mut dyn FnMut(usize, f64),
    ) -> LearnReport {
        let width = teacher.first().map_or(0, Vec::len);
        // Centred targets: the part every abstract shares says nothing about any one of them.
        let mut centre = vec![0f64; width];
        for vector in teacher {
            for (c, v) in centre.iter_mut().zip(vector) {
                *c += f64::from(*v) / teacher.len() as f64;
            }
        }
        let targets: Vec<Vec<f64>> = teacher
            .iter()
            .map(|vector| vector.iter().zip(&centre).map(|(v, c)| f64::from(*v) - c).collect())
            .collect();
        let every = options.validate_every.max(2);
        let (validation, training): (Vec<usize>, Vec<usize>) = (0..texts.len()).partition(|i| i % every == 0);
        let mut student = Student::from(self, width);
        let validation_loss = |student: &Student| {
            validation
                .iter()
                .map(|&i| student.loss(&texts[i], &targets[i]))
                .sum::<f64>()
                / validation.len().max(1) as f64
        };
        let initial = validation_loss(&student);
        let mut adam = Adam::new(&student);
        let mut best = (initial, student.vectors.clone(), student.weights.clone());
        let (mut since_best, mut epochs, mut state) = (0, 0, 0x5eed_u64);
        let mut order = training;
        while epochs < options.max_epochs && since_best < options.patience {
            shuffle(&mut order, &mut state);
            for batch in order.chunks(options.batch.max(1)) {
                let examples: Vec<(&[u32], &[f64])> = batch.iter().map(|&i| (&texts[i][..], &targets[i][..])).collect();
                student.step(&examples, &mut adam, options.learning_rate);
            }
            epochs += 1;
            let loss = validation_loss(&student);
            progress(epochs, loss);
            if loss < best.0 - 1e-7 {
                best = (loss, student.vectors.clone(), student.weights.clone());
                since_best = 0;
            } else {
                since_best += 1;
            }
        }
        let (validation_loss, vectors, weights) = best;
        student.vectors = vectors;
        student.weights = weights;
        self.vectors = student.into_vectors();
        let report = LearnReport {
            texts: texts.len(),
            epochs,
            validation_loss,
            initial_validation_loss: initial,
            options,
        };
        self.config.learned = Some(report.clone());
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Embedder, SIF_COEFFICIENT, distill};

    #[test]
    fn learning_brings_the_static_model_closer_to_its_transformer_and_is_deterministic() {
        let words = [
            "graph", "neural", "network", "cake", "recipe", "sugar", "flour", "node", "edge", "oven",
        ];
        let embedder = Embedder::tiny(&words, 7).unwrap();
        // Sentences of three to six words in a fixed pseudo-random order.
        let mut state = 11u64;
        let texts: Vec<String> = (0..300)
            .map(|i| {
                (0..3 + i % 4)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        words[(state >> 33) as usize % words.len()]
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let teacher = embedder.embed(&refs).unwrap();
        let run = || {
            let mut model = distill(&embedder, 8, SIF_COEFFICIENT, &mut |_, _| {}).unwrap();
            let tokens: Vec<Vec<u32>> = texts
                .iter()
                .map(|text| model.cut(text, LEARN_TOKENS).unwrap().1)
                .collect();
            let mut epochs_heard = 0;
            let report = model.learn(&tokens, &teacher, LearnOptions::default(), &mut |_, _| {
                epochs_heard += 1
            });
            assert_eq!(epochs_heard, report.epochs);
            (model, report)
        };
        let (model, report) = run();
        assert!(
            report.validation_loss < 0.5 * report.initial_validation_loss,
            "the held-out texts are predicted better after learning: {report:?}"
        );
        assert_eq!(
            model.config.learned.as_ref(),
            Some(&report),
            "static.json says how it learned"
        );
        let (again, _) = run();
        assert_eq!(model.vectors, again.vectors, "the same texts give the same vectors");
    }
}
