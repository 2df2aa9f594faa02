import CounterRNG
import Diffusion
import Foundation
import XCTest

final class SamplerTests: XCTestCase {
    let schedule = try! NoiseSchedule.linear(steps: 1000)

    /// 1-D data N(0.7, 0.5²).
    var oneDimensional: GaussianData { GaussianData(mean: [0.7], variances: [0.25], basis: [[1]], schedule: schedule) }

    /// The exact ε̂ is the conditional mean: for pairs drawn by the forward process at a fixed t, the residual
    /// ε − ε̂(x_t) has mean 0, is uncorrelated with x_t, and has the mean square ᾱs²/(ᾱs² + 1 − ᾱ) (within 5 SE).
    func testExactGaussianNoisePredictorIsTheConditionalMean() throws {
        let data = oneDimensional, m = 20_000
        let x0: [Float] = CounterRNG(seed: 11).normals(m).map { Float(0.7 + 0.5 * $0) }
        let process = ForwardProcess(schedule: schedule, seed: 3)
        let pairs = try process.trainingPairs(clean: x0, samples: Array(0 ..< m), step: 0)
        for t in [50, 300, 700] {
            // Replace the drawn t by a fixed one: x_t from the same ε.
            let bar = schedule.alphaBars[t]
            var residuals: [Double] = [], xs: [Double] = []
            for b in 0 ..< m {
                let eps = Double(pairs.targets[b])
                let xt = bar.squareRoot() * Double(x0[b]) + (1 - bar).squareRoot() * eps
                residuals.append(eps - data.epsilon([xt], t: t)[0])
                xs.append(xt)
            }
            let meanX = xs.reduce(0, +) / Double(m)
            let mse = residuals.map { $0 * $0 }.reduce(0, +) / Double(m)
            let expectedMSE = bar * 0.25 / (bar * 0.25 + 1 - bar)
            let sdX = (bar * 0.25 + 1 - bar).squareRoot(), sdR = expectedMSE.squareRoot()
            XCTAssertEqual(residuals.reduce(0, +) / Double(m), 0, accuracy: 5 * sdR / Double(m).squareRoot(), "t \(t)")
            let covariance = zip(residuals, xs).map { $0 * ($1 - meanX) }.reduce(0, +) / Double(m)
            XCTAssertEqual(covariance, 0, accuracy: 5 * sdR * sdX / Double(m).squareRoot(), "t \(t)")
            XCTAssertEqual(mse, expectedMSE, accuracy: 5 * expectedMSE * (2 / Double(m)).squareRoot(), "t \(t)")
        }
    }

    /// A short schedule for the Monte Carlo tests (a debug build runs them in seconds): cosine, T = 100.
    let short = try! NoiseSchedule.cosine(steps: 100)

    /// The moment recursion of the tests' reference: with T = 1000 the discrete samplers with the exact ε̂ return
    /// nearly the data's distribution (so the reference below is the data's, up to a stated discretisation
    /// error): for λ = 0.25, 1, 4 and μ = 0.7 every variance within 2% (DDPM σ² = β: 0.3%, σ² = β̃ and DDIM η = 1:
    /// 1.6%, DDIM η = 0: 0.6%) and every mean within 0.012 (DDIM η = 0 at λ = 4: 0.691).
    func testDiscretisationOfTheSamplersIsSmallWithThousandSteps() throws {
        for lambda in [0.25, 1, 4] {
            let data = GaussianData(mean: [0.7], variances: [lambda], basis: [[1]], schedule: schedule)
            for method in [SamplingMethod.ddpm(variance: .beta), .ddpm(variance: .posterior),
                           .ddim(timesteps: Array(0 ..< 1000), eta: 1), .ddim(timesteps: Array(0 ..< 1000), eta: 0)] {
                let (m, c) = data.samplerMoments(method)
                XCTAssertEqual(c[0][0] / lambda, 1, accuracy: 0.02, "\(method) λ \(lambda)")
                XCTAssertEqual(m[0], 0.7, accuracy: 0.012, "\(method) λ \(lambda)")
            }
            // DDIM with η = 1 over all steps and DDPM with σ² = β̃ are the same recursion.
            let (m1, c1) = data.samplerMoments(.ddim(timesteps: Array(0 ..< 1000), eta: 1))
            let (m2, c2) = data.samplerMoments(.ddpm(variance: .posterior))
            XCTAssertEqual(m1[0], m2[0], accuracy: 1e-12)
            XCTAssertEqual(c1[0][0], c2[0][0], accuracy: 1e-12)
        }
    }

    /// DDIM with η = 1 over all T steps is the ancestral sampler with σ² = β̃: with the same seed the two give the
    /// same samples up to float32 round-off, and with different seeds the same distribution: 4000 samples of 1-D
    /// N(0.7, 0.25) each (T = 100), means within 4.5 SE of each other and of the exact moments of the discrete
    /// sampler (the recursion), variances likewise (SE of a variance v√(2/n), of a difference √2 times that),
    /// and within 4.5 SE + 8% of the data's variance (the discretisation at T = 100: 6.9%).
    func testDDIMWithEtaOneOverAllStepsReproducesTheAncestralSampler() throws {
        let data = GaussianData(mean: [0.7], variances: [0.25], basis: [[1]], schedule: short), n = 4000
        let all = try DiffusionSampler.evenlySpacedTimesteps(count: 100, steps: 100)
        XCTAssertEqual(all, Array(0 ..< 100))
        let ddim = try DiffusionSampler(schedule: short, method: .ddim(timesteps: all, eta: 1), elementsPerSample: 1, seed: 1)
        let ddpm = try DiffusionSampler(schedule: short, method: .ddpm(variance: .posterior), elementsPerSample: 1, seed: 1)
        let ddpmOtherSeed = try DiffusionSampler(schedule: short, method: .ddpm(variance: .posterior), elementsPerSample: 1, seed: 2)
        let a = try ddim.sample(Array(0 ..< n), model: data.predictor, batchSize: n)
        let pathwise = try ddpm.sample(Array(0 ..< 200), model: data.predictor, batchSize: 200)
        for i in 0 ..< 200 { XCTAssertEqual(a[i], pathwise[i], accuracy: 1e-4, "sample \(i)") }
        let b = try ddpmOtherSeed.sample(Array(0 ..< n), model: data.predictor, batchSize: n)
        let (ma, va) = moments(a, dimension: 1), (mb, vb) = moments(b, dimension: 1)
        let exact = data.samplerMoments(.ddpm(variance: .posterior))
        let v = exact.covariance[0][0], se = (v / Double(n)).squareRoot(), seVar = v * (2 / Double(n)).squareRoot()
        XCTAssertEqual(ma[0], mb[0], accuracy: 4.5 * 2.0.squareRoot() * se)
        XCTAssertEqual(va[0][0], vb[0][0], accuracy: 4.5 * 2.0.squareRoot() * seVar)
        for (m, sampleVariance) in [(ma[0], va[0][0]), (mb[0], vb[0][0])] {
            XCTAssertEqual(m, exact.mean[0], accuracy: 4.5 * se)
            XCTAssertEqual(m, 0.7, accuracy: 4.5 * se + 0.001)
            XCTAssertEqual(sampleVariance, v, accuracy: 4.5 * seVar)
            XCTAssertEqual(sampleVariance, 0.25, accuracy: 4.5 * seVar + 0.08 * 0.25)
        }
    }

    /// With the exact ε̂ of a 3-D Gaussian whose covariance is diagonal in a rotated basis (λ = 0.25, 1, 4),
    /// DDPM (σ² = β, all steps) and deterministic DDIM (η = 0, all 100 steps and 25 of them) return samples
    /// with that mean and covariance: 3000 samples each, every covariance entry within 5 SE of the exact moments
    /// of the discrete sampler (SE of Σ_ij: √((Σ_ii Σ_jj + Σ_ij²)/n)), and within 5 SE + δ·√(Σ_ii Σ_jj) of the
    /// data's Σ, δ the discretisation allowance: 5% over all T = 100 steps (the recursion: below 3.2%), 15% for
    /// 25 DDIM steps (the recursion: 9.6% to 12% too little variance, first-order in the step); the mean within
    /// 5 SE + 0.01.
    func testSamplersReturnTheCovarianceOfAGaussianWithTheExactScore() throws {
        let c = cos(0.6), s = sin(0.6), r = 1 / 2.0.squareRoot()
        // u_0 rotated in the (0, 1) plane; u_1, u_2 mix that plane's partner with axis 2.
        let basis = [[c, s, 0], [-s * r, c * r, r], [s * r, -c * r, r]]
        let data = GaussianData(mean: [0.7, -0.3, 0.2], variances: [0.25, 1, 4], basis: basis, schedule: short)
        let sigma = data.covariance, n = 3000
        XCTAssertEqual(sigma[0][1], (0.25 - 0.5 - 2) * s * c, accuracy: 1e-12, "the basis is not the coordinate axes")
        for (method, allowance) in [(SamplingMethod.ddpm(variance: .beta), 0.05), (.ddim(timesteps: Array(0 ..< 100), eta: 0), 0.05),
                                    (.ddim(timesteps: try DiffusionSampler.evenlySpacedTimesteps(count: 25, steps: 100), eta: 0), 0.15)] {
            let sampler = try DiffusionSampler(schedule: short, method: method, elementsPerSample: 3, seed: 9)
            let x = try sampler.sample(Array(0 ..< n), model: data.predictor, batchSize: 1000)
            let (mean, cov) = moments(x, dimension: 3)
            let exact = data.samplerMoments(method)
            for i in 0 ..< 3 {
                XCTAssertEqual(mean[i], exact.mean[i], accuracy: 5 * (sigma[i][i] / Double(n)).squareRoot(), "\(method) mean \(i)")
                XCTAssertEqual(mean[i], data.mean[i], accuracy: 5 * (sigma[i][i] / Double(n)).squareRoot() + 0.01, "\(method) mean \(i)")
                for j in 0 ..< 3 {
                    let se = ((sigma[i][i] * sigma[j][j] + sigma[i][j] * sigma[i][j]) / Double(n)).squareRoot()
                    XCTAssertEqual(cov[i][j], exact.covariance[i][j], accuracy: 5 * se, "\(method) Σ[\(i)][\(j)] vs the exact moments")
                    XCTAssertEqual(cov[i][j], sigma[i][j], accuracy: 5 * se + allowance * (sigma[i][i] * sigma[j][j]).squareRoot(), "\(method) Σ[\(i)][\(j)]")
                }
            }
        }
    }

    /// The samples of a set of global indices are the same whatever their split into groups (ranks) and batches,
    /// and in any order, for DDPM and stochastic DDIM.
    func testSamplesDoNotDependOnTheSplitOfTheSampleIndices() throws {
        let small = try NoiseSchedule.cosine(steps: 40)
        let data = GaussianData(mean: [0.1, 0.2], variances: [0.5, 2], basis: [[1, 0], [0, 1]], schedule: small)
        for method in [SamplingMethod.ddpm(variance: .beta), .ddim(timesteps: try DiffusionSampler.evenlySpacedTimesteps(count: 10, steps: 40), eta: 0.5)] {
            let sampler = try DiffusionSampler(schedule: small, method: method, elementsPerSample: 2, seed: 77)
            let whole = try sampler.sample(Array(0 ..< 11), model: data.predictor, batchSize: 64)
            var split: [Float] = []
            for (group, batch) in [(0 ..< 3, 2), (3 ..< 4, 1), (4 ..< 11, 3)] {
                split += try sampler.sample(Array(group), model: data.predictor, batchSize: batch)
            }
            XCTAssertEqual(split, whole, "\(method)")
            let picked = try sampler.sample([9, 2], model: data.predictor)
            XCTAssertEqual(picked, Array(whole[18 ..< 20] + whole[4 ..< 6]))
            let otherSeed = try DiffusionSampler(schedule: small, method: method, elementsPerSample: 2, seed: 78)
            XCTAssertNotEqual(try otherSeed.sample(Array(0 ..< 11), model: data.predictor), whole)
        }
    }

    /// A v-prediction model turned into a noise predictor gives the ε̂ it was built from.
    func testVelocityModelsConvertToNoisePredictors() throws {
        let data = oneDimensional
        let velocity = ClosureNoisePredictor { noisy, timesteps in
            let eps = try data.predictor.predictNoise(noisy, timesteps: timesteps)
            return zip(zip(noisy, eps), timesteps).map { pair, t in
                let (x, e) = pair
                let a = self.schedule.sqrtAlphaBars[t], s = self.schedule.sqrtOneMinusAlphaBars[t]
                let x0 = (Double(x) - s * Double(e)) / a
                return Float(a * Double(e) - s * x0)
            }
        }
        let adapted = VelocityAsNoisePredictor(velocityModel: velocity, schedule: schedule)
        let x: [Float] = [0.3, -1.2, 2.5], t = [10, 500, 990]
        let direct = try data.predictor.predictNoise(x, timesteps: t), converted = try adapted.predictNoise(x, timesteps: t)
        for i in 0 ..< 3 { XCTAssertEqual(converted[i], direct[i], accuracy: 1e-5) }
    }

    func testBadSamplerSettingsAndModelsAreRefused() throws {
        XCTAssertEqual(try DiffusionSampler.evenlySpacedTimesteps(count: 5, steps: 1000), [0, 250, 500, 749, 999])
        XCTAssertEqual(try DiffusionSampler.evenlySpacedTimesteps(count: 1, steps: 1000), [999])
        XCTAssertThrowsError(try DiffusionSampler.evenlySpacedTimesteps(count: 1001, steps: 1000))
        XCTAssertThrowsError(try DiffusionSampler.evenlySpacedTimesteps(count: 0, steps: 1000))
        func refusal(_ method: SamplingMethod) -> String {
            do { _ = try DiffusionSampler(schedule: schedule, method: method, elementsPerSample: 1, seed: 0); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal(.ddim(timesteps: [], eta: 0)).contains("empty"))
        XCTAssertTrue(refusal(.ddim(timesteps: [0, 1000], eta: 0)).contains("0 ..< 1000"))
        XCTAssertTrue(refusal(.ddim(timesteps: [0, 5, 5], eta: 0)).contains("strictly increasing"))
        XCTAssertTrue(refusal(.ddim(timesteps: [0, 5], eta: 1.5)).contains("eta"))
        XCTAssertThrowsError(try DiffusionSampler(schedule: schedule, method: .ddpm(variance: .beta), elementsPerSample: 0, seed: 0))
        let sampler = try DiffusionSampler(schedule: try .cosine(steps: 5), method: .ddpm(variance: .beta), elementsPerSample: 2, seed: 0)
        let short = ClosureNoisePredictor { x, _ in Array(x.dropLast()) }
        XCTAssertThrowsError(try sampler.sample([0], model: short)) { XCTAssertTrue("\($0)".contains("returned 1 values for 2")) }
        let diverged = ClosureNoisePredictor { x, _ in x.map { _ in .infinity } }
        XCTAssertThrowsError(try sampler.sample([3], model: diverged)) { XCTAssertTrue("\($0)".contains("sample 3")) }
        XCTAssertThrowsError(try sampler.sample([0], model: short, batchSize: 0))
    }
}
