//! arXiv subject categories (`cs.CL`, `hep-th`, `math.GT`) and their names.
//!
//! The taxonomy table maps codes to the names arXiv prints, in the form its OAI-PMH `oai_dc`
//! records use for `dc:subject` ("Computer Science - Computation and Language"), so a record
//! that only carries names can still be filed under codes.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A syntactically valid arXiv category code: `archive` or `archive.SUBJECT`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Category(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an arXiv category (expected e.g. cs.CL, hep-th, math.GT)")]
pub struct CategoryError(String);

impl Category {
    pub fn parse(text: &str) -> Result<Category, CategoryError> {
        let code = text.trim();
        let (archive, subject) = match code.split_once('.') {
            Some((archive, subject)) => (archive, Some(subject)),
            None => (code, None),
        };
        let archive_ok = (2..=16).contains(&archive.len())
            && archive.starts_with(|c: char| c.is_ascii_lowercase())
            && archive.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
        let subject_ok = subject.is_none_or(|subject| {
            (1..=16).contains(&subject.len())
                && subject.starts_with(|c: char| c.is_ascii_alphabetic())
                && subject.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
        });
        if archive_ok && subject_ok {
            Ok(Category(code.to_owned()))
        } else {
            Err(CategoryError(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The archive part: `cs` for `cs.CL`, `hep-th` for `hep-th`.
    pub fn archive(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }

    /// arXiv's name for the category ("Computation and Language"), when it is in the taxonomy.
    pub fn name(&self) -> Option<&'static str> {
        TAXONOMY
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, full)| full.rsplit(" - ").next().unwrap_or(full))
    }

    /// A category or archive in arXiv's taxonomy, however it is capitalised (`CS.cl` → `cs.CL`,
    /// `Math` → `math`), for what people type into forms.
    pub fn known(text: &str) -> Result<Category, CategoryError> {
        let code = text.trim();
        let found = TAXONOMY
            .iter()
            .map(|(known, _)| *known)
            .find(|known| known.eq_ignore_ascii_case(code))
            .or_else(|| {
                TAXONOMY
                    .iter()
                    .map(|(known, _)| known.split('.').next().unwrap_or(known))
                    .find(|archive| archive.eq_ignore_ascii_case(code))
            });
        match found {
            Some(code) => Ok(Category(code.to_owned())),
            None => Err(CategoryError(code.to_owned())),
        }
    }

    /// Finds the category for an `oai_dc` subject such as "Computer Science - Machine Learning".
    pub fn from_subject_name(subject: &str) -> Option<Category> {
        let subject = subject.trim();
        TAXONOMY
            .iter()
            .find(|(_, full)| full.eq_ignore_ascii_case(subject))
            .map(|(code, _)| Category((*code).to_owned()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Category({})", self.0)
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Category::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// arXiv's category taxonomy (<https://arxiv.org/category_taxonomy>), names as in `oai_dc`.
pub const TAXONOMY: &[(&str, &str)] = &[
    ("cs.AI", "Computer Science - Artificial Intelligence"),
    ("cs.AR", "Computer Science - Hardware Architecture"),
    ("cs.CC", "Computer Science - Computational Complexity"),
    (
        "cs.CE",
        "Computer Science - Computational Engineering, Finance, and Science",
    ),
    ("cs.CG", "Computer Science - Computational Geometry"),
    ("cs.CL", "Computer Science - Computation and Language"),
    ("cs.CR", "Computer Science - Cryptography and Security"),
    ("cs.CV", "Computer Science - Computer Vision and Pattern Recognition"),
    ("cs.CY", "Computer Science - Computers and Society"),
    ("cs.DB", "Computer Science - Databases"),
    (
        "cs.DC",
        "Computer Science - Distributed, Parallel, and Cluster Computing",
    ),
    ("cs.DL", "Computer Science - Digital Libraries"),
    ("cs.DM", "Computer Science - Discrete Mathematics"),
    ("cs.DS", "Computer Science - Data Structures and Algorithms"),
    ("cs.ET", "Computer Science - Emerging Technologies"),
    ("cs.FL", "Computer Science - Formal Languages and Automata Theory"),
    ("cs.GL", "Computer Science - General Literature"),
    ("cs.GR", "Computer Science - Graphics"),
    ("cs.GT", "Computer Science - Computer Science and Game Theory"),
    ("cs.HC", "Computer Science - Human-Computer Interaction"),
    ("cs.IR", "Computer Science - Information Retrieval"),
    ("cs.IT", "Computer Science - Information Theory"),
    ("cs.LG", "Computer Science - Machine Learning"),
    ("cs.LO", "Computer Science - Logic in Computer Science"),
    ("cs.MA", "Computer Science - Multiagent Systems"),
    ("cs.MM", "Computer Science - Multimedia"),
    ("cs.MS", "Computer Science - Mathematical Software"),
    ("cs.NA", "Computer Science - Numerical Analysis"),
    ("cs.NE", "Computer Science - Neural and Evolutionary Computing"),
    ("cs.NI", "Computer Science - Networking and Internet Architecture"),
    ("cs.OH", "Computer Science - Other Computer Science"),
    ("cs.OS", "Computer Science - Operating Systems"),
    ("cs.PF", "Computer Science - Performance"),
    ("cs.PL", "Computer Science - Programming Languages"),
    ("cs.RO", "Computer Science - Robotics"),
    ("cs.SC", "Computer Science - Symbolic Computation"),
    ("cs.SD", "Computer Science - Sound"),
    ("cs.SE", "Computer Science - Software Engineering"),
    ("cs.SI", "Computer Science - Social and Information Networks"),
    ("cs.SY", "Computer Science - Systems and Control"),
    ("econ.EM", "Economics - Econometrics"),
    ("econ.GN", "Economics - General Economics"),
    ("econ.TH", "Economics - Theoretical Economics"),
    (
        "eess.AS",
        "Electrical Engineering and Systems Science - Audio and Speech Processing",
    ),
    (
        "eess.IV",
        "Electrical Engineering and Systems Science - Image and Video Processing",
    ),
    (
        "eess.SP",
        "Electrical Engineering and Systems Science - Signal Processing",
    ),
    (
        "eess.SY",
        "Electrical Engineering and Systems Science - Systems and Control",
    ),
    ("math.AC", "Mathematics - Commutative Algebra"),
    ("math.AG", "Mathematics - Algebraic Geometry"),
    ("math.AP", "Mathematics - Analysis of PDEs"),
    ("math.AT", "Mathematics - Algebraic Topology"),
    ("math.CA", "Mathematics - Classical Analysis and ODEs"),
    ("math.CO", "Mathematics - Combinatorics"),
    ("math.CT", "Mathematics - Category Theory"),
    ("math.CV", "Mathematics - Complex Variables"),
    ("math.DG", "Mathematics - Differential Geometry"),
    ("math.DS", "Mathematics - Dynamical Systems"),
    ("math.FA", "Mathematics - Functional Analysis"),
    ("math.GM", "Mathematics - General Mathematics"),
    ("math.GN", "Mathematics - General Topology"),
    ("math.GR", "Mathematics - Group Theory"),
    ("math.GT", "Mathematics - Geometric Topology"),
    ("math.HO", "Mathematics - History and Overview"),
    ("math.IT", "Mathematics - Information Theory"),
    ("math.KT", "Mathematics - K-Theory and Homology"),
    ("math.LO", "Mathematics - Logic"),
    ("math.MG", "Mathematics - Metric Geometry"),
    ("math.MP", "Mathematics - Mathematical Physics"),
    ("math.NA", "Mathematics - Numerical Analysis"),
    ("math.NT", "Mathematics - Number Theory"),
    ("math.OA", "Mathematics - Operator Algebras"),
    ("math.OC", "Mathematics - Optimization and Control"),
    ("math.PR", "Mathematics - Probability"),
    ("math.QA", "Mathematics - Quantum Algebra"),
    ("math.RA", "Mathematics - Rings and Algebras"),
    ("math.RT", "Mathematics - Representation Theory"),
    ("math.SG", "Mathematics - Symplectic Geometry"),
    ("math.SP", "Mathematics - Spectral Theory"),
    ("math.ST", "Mathematics - Statistics Theory"),
    ("astro-ph", "Astrophysics"),
    ("astro-ph.CO", "Astrophysics - Cosmology and Nongalactic Astrophysics"),
    ("astro-ph.EP", "Astrophysics - Earth and Planetary Astrophysics"),
    ("astro-ph.GA", "Astrophysics - Astrophysics of Galaxies"),
    ("astro-ph.HE", "Astrophysics - High Energy Astrophysical Phenomena"),
    (
        "astro-ph.IM",
        "Astrophysics - Instrumentation and Methods for Astrophysics",
    ),
    ("astro-ph.SR", "Astrophysics - Solar and Stellar Astrophysics"),
    ("cond-mat", "Condensed Matter"),
    (
        "cond-mat.dis-nn",
        "Condensed Matter - Disordered Systems and Neural Networks",
    ),
    (
        "cond-mat.mes-hall",
        "Condensed Matter - Mesoscale and Nanoscale Physics",
    ),
    ("cond-mat.mtrl-sci", "Condensed Matter - Materials Science"),
    ("cond-mat.other", "Condensed Matter - Other Condensed Matter"),
    ("cond-mat.quant-gas", "Condensed Matter - Quantum Gases"),
    ("cond-mat.soft", "Condensed Matter - Soft Condensed Matter"),
    ("cond-mat.stat-mech", "Condensed Matter - Statistical Mechanics"),
    ("cond-mat.str-el", "Condensed Matter - Strongly Correlated Electrons"),
    ("cond-mat.supr-con", "Condensed Matter - Superconductivity"),
    ("gr-qc", "General Relativity and Quantum Cosmology"),
    ("hep-ex", "High Energy Physics - Experiment"),
    ("hep-lat", "High Energy Physics - Lattice"),
    ("hep-ph", "High Energy Physics - Phenomenology"),
    ("hep-th", "High Energy Physics - Theory"),
    ("math-ph", "Mathematical Physics"),
    ("nlin.AO", "Nonlinear Sciences - Adaptation and Self-Organizing Systems"),
    ("nlin.CD", "Nonlinear Sciences - Chaotic Dynamics"),
    ("nlin.CG", "Nonlinear Sciences - Cellular Automata and Lattice Gases"),
    ("nlin.PS", "Nonlinear Sciences - Pattern Formation and Solitons"),
    (
        "nlin.SI",
        "Nonlinear Sciences - Exactly Solvable and Integrable Systems",
    ),
    ("nucl-ex", "Nuclear Experiment"),
    ("nucl-th", "Nuclear Theory"),
    ("physics.acc-ph", "Physics - Accelerator Physics"),
    ("physics.ao-ph", "Physics - Atmospheric and Oceanic Physics"),
    ("physics.app-ph", "Physics - Applied Physics"),
    ("physics.atm-clus", "Physics - Atomic and Molecular Clusters"),
    ("physics.atom-ph", "Physics - Atomic Physics"),
    ("physics.bio-ph", "Physics - Biological Physics"),
    ("physics.chem-ph", "Physics - Chemical Physics"),
    ("physics.class-ph", "Physics - Classical Physics"),
    ("physics.comp-ph", "Physics - Computational Physics"),
    ("physics.data-an", "Physics - Data Analysis, Statistics and Probability"),
    ("physics.ed-ph", "Physics - Physics Education"),
    ("physics.flu-dyn", "Physics - Fluid Dynamics"),
    ("physics.gen-ph", "Physics - General Physics"),
    ("physics.geo-ph", "Physics - Geophysics"),
    ("physics.hist-ph", "Physics - History and Philosophy of Physics"),
    ("physics.ins-det", "Physics - Instrumentation and Detectors"),
    ("physics.med-ph", "Physics - Medical Physics"),
    ("physics.optics", "Physics - Optics"),
    ("physics.plasm-ph", "Physics - Plasma Physics"),
    ("physics.pop-ph", "Physics - Popular Physics"),
    ("physics.soc-ph", "Physics - Physics and Society"),
    ("physics.space-ph", "Physics - Space Physics"),
    ("quant-ph", "Quantum Physics"),
    ("q-bio.BM", "Quantitative Biology - Biomolecules"),
    ("q-bio.CB", "Quantitative Biology - Cell Behavior"),
    ("q-bio.GN", "Quantitative Biology - Genomics"),
    ("q-bio.MN", "Quantitative Biology - Molecular Networks"),
    ("q-bio.NC", "Quantitative Biology - Neurons and Cognition"),
    ("q-bio.OT", "Quantitative Biology - Other Quantitative Biology"),
    ("q-bio.PE", "Quantitative Biology - Populations and Evolution"),
    ("q-bio.QM", "Quantitative Biology - Quantitative Methods"),
    ("q-bio.SC", "Quantitative Biology - Subcellular Processes"),
    ("q-bio.TO", "Quantitative Biology - Tissues and Organs"),
    ("q-fin.CP", "Quantitative Finance - Computational Finance"),
    ("q-fin.EC", "Quantitative Finance - Economics"),
    ("q-fin.GN", "Quantitative Finance - General Finance"),
    ("q-fin.MF", "Quantitative Finance - Mathematical Finance"),
    ("q-fin.PM", "Quantitative Finance - Portfolio Management"),
    ("q-fin.PR", "Quantitative Finance - Pricing of Securities"),
    ("q-fin.RM", "Quantitative Finance - Risk Management"),
    ("q-fin.ST", "Quantitative Finance - Statistical Finance"),
    ("q-fin.TR", "Quantitative Finance - Trading and Market Microstructure"),
    ("stat.AP", "Statistics - Applications"),
    ("stat.CO", "Statistics - Computation"),
    ("stat.ME", "Statistics - Methodology"),
    ("stat.ML", "Statistics - Machine Learning"),
    ("stat.OT", "Statistics - Other Statistics"),
    ("stat.TH", "Statistics - Statistics Theory"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_of_every_shape() {
        for code in [
            "cs.CL",
            "hep-th",
            "math.GT",
            "cond-mat.mes-hall",
            "q-bio.NC",
            "physics.atom-ph",
        ] {
            assert_eq!(Category::parse(code).unwrap().as_str(), code);
        }
        for bad in ["", "CS.CL", "cs.", ".CL", "cs CL", "cs.C1", "<script>"] {
            assert!(Category::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_taxonomy_code_is_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for (code, _) in TAXONOMY {
            assert!(Category::parse(code).is_ok(), "{code}");
            assert!(seen.insert(code), "{code} twice");
        }
    }

    #[test]
    fn maps_oai_dc_subject_names_to_codes() {
        let category = Category::from_subject_name("Computer Science - Data Structures and Algorithms");
        assert_eq!(category.unwrap().as_str(), "cs.DS");
        assert_eq!(
            Category::from_subject_name("Quantum Physics").unwrap().as_str(),
            "quant-ph"
        );
        assert_eq!(
            Category::parse("cs.CL").unwrap().name(),
            Some("Computation and Language")
        );
        assert_eq!(Category::parse("hep-th").unwrap().archive(), "hep-th");
    }
}
